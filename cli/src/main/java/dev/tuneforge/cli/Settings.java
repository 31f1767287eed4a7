package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --set key=value} options as a JSON object: numbers, true/false and JSON arrays or objects keep
 * their type, a value with commas is a list ({@code target_modules=q_proj,v_proj}), anything else is a string
 * ({@code auto}, {@code cosine}).
 */
final class Settings {

    private Settings() {
    }

    static Map<String, Object> parse(List<String> settings, String option) {
        Map<String, Object> values = new LinkedHashMap<>();
        if (settings == null) {
            return values;
        }
        for (String setting : settings) {
            int eq = setting.indexOf('=');
            if (eq <= 0) {
                throw new CliException(ExitCodes.USAGE, option + " takes key=value, got '" + setting + "'");
            }
            values.put(setting.substring(0, eq).trim(), value(setting.substring(eq + 1).trim()));
        }
        return values;
    }

    static Object value(String text) {
        if (text.startsWith("[") || text.startsWith("{")) {
            try {
                JsonNode node = GatewayClient.JSON.readTree(text);
                return GatewayClient.JSON.convertValue(node, Object.class);
            } catch (IOException e) {
                throw new CliException(ExitCodes.USAGE, "not valid JSON: " + text);
            }
        }
        if (text.contains(",")) {
            List<Object> items = new ArrayList<>();
            for (String item : text.split(",")) {
                items.add(value(item.trim()));
            }
            return items;
        }
        if (text.equals("true") || text.equals("false")) {
            return Boolean.parseBoolean(text);
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException notLong) {
            try {
                double value = Double.parseDouble(text);
                return Double.isFinite(value) ? value : text;
            } catch (NumberFormatException notNumber) {
                return text;
            }
        }
    }
}
