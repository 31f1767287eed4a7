package dev.tuneforge.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;

/** A command that calls the gateway: connection options, and printing as text or JSON. */
abstract class ApiCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Override
    public Integer call() {
        run(connection.client());
        connection.env().out().flush();
        return ExitCodes.OK;
    }

    abstract void run(GatewayClient client);

    PrintWriter out() {
        return connection.env().out();
    }

    boolean json() {
        return connection.json;
    }

    void printJson(JsonNode node) {
        try {
            out().println(GatewayClient.JSON.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new CliException(ExitCodes.ERROR, e.getMessage());
        }
    }

    /** A page as a table (or as the page's JSON), and on stderr how to get the next page. */
    void printPage(JsonNode page, List<String> headers, List<Function<JsonNode, String>> columns) {
        if (json()) {
            printJson(page);
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(headers);
        for (JsonNode item : page.path("data")) {
            rows.add(columns.stream().map(column -> column.apply(item)).toList());
        }
        printTable(rows);
        if (page.path("has_more").asBoolean()) {
            connection.env().err().println("(more: add --after " + page.path("next_after").asText() + ")");
        }
    }

    void printTable(List<List<String>> rows) {
        int[] widths = new int[rows.get(0).size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + (widths[i] + 2) + "s", row.get(i)));
            }
            out().println(line.toString().stripTrailing());
        }
    }

    /** --dataset and --base-model are required (checked here: picocli's required options break --help). */
    static void requireOptions(String dataset, String baseModel) {
        if (dataset == null || baseModel == null) {
            throw new CliException(ExitCodes.USAGE, "--dataset and --base-model are required");
        }
    }

    static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isMissingNode() || value.isNull() ? "-" : value.asText();
    }
}
