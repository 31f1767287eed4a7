package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.FailureCode;
import dev.tuneforge.worker.protocol.SpecWriter;
import dev.tuneforge.worker.protocol.WorkerEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Input that retrying cannot fix: exit 2 and exactly one event, {@code failed}, whose message tells the user what
 * to change — every problem of the spec at once, the data file's line, the kind of model that was found.
 */
class BadInputTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void aSpecWithSeveralProblemsFailsWithBadSpecNamingEveryOne(Runtime runtime) throws IOException {
        Path workdir = Suite.stageData("bad-spec", runtime);
        ObjectNode spec = (ObjectNode) JSON.readTree(SpecWriter.json(Suite.loraSpec()));
        spec.put("eval_step", 3);
        ((ObjectNode) spec.get("data")).put("shuffle", true);
        ((ObjectNode) spec.get("method")).put("rank", 4).put("r", 0);
        ((ObjectNode) spec.get("hyperparameters")).put("batchsize", 2).put("learning_rate", -1)
                .put("warmup_ratio", 2);

        WorkerEvent.Failed failed = onlyFailure(WorkerRun.run(runtime, "train", spec.toPrettyString(), workdir,
                (e, w) -> { }), FailureCode.BAD_SPEC);
        List<String> missing = new ArrayList<>();
        for (String unknown : List.of("eval_step", "data.shuffle", "method.rank", "hyperparameters.batchsize")) {
            if (!failed.message().contains(unknown + ": unknown field")) {
                missing.add(unknown + ": unknown field");
            }
        }
        for (String[] range : new String[][] {{"method.r", "0"}, {"hyperparameters.learning_rate", "-1"},
                {"hyperparameters.warmup_ratio", "2"}}) {
            if (!failed.message().matches("(?s).*" + range[0].replace(".", "\\.") + ": must be [^;]*got "
                    + range[1] + "\\b.*")) {
                missing.add(range[0] + ": must be ..., got " + range[1]);
            }
        }
        assertEquals(List.of(), missing, "every problem is named with its path: " + failed.message());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void aBrokenJsonlLineFailsWithBadDataNamingTheLine(Runtime runtime) throws IOException {
        Path workdir = Suite.stageData("bad-data", runtime);
        List<String> lines = new ArrayList<>(Files.readAllLines(workdir.resolve("train.jsonl")));
        lines.set(2, lines.get(2).substring(0, lines.get(2).length() / 2));
        Files.write(workdir.resolve("train.jsonl"), lines);

        WorkerEvent.Failed failed = onlyFailure(WorkerRun.train(runtime, Suite.loraSpec(), workdir),
                FailureCode.BAD_DATA);
        assertTrue(failed.message().contains("train.jsonl line 3"), "names the file and line: " + failed.message());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void aModelDirectoryThatIsNotLlamaFamilyFailsSayingWhatItFound(Runtime runtime) throws IOException {
        Path workdir = Suite.stageData("not-llama", runtime);
        Path model = workdir.resolve("gpt2");
        Suite.copyTree(Suite.fixtureModel(), model);
        ObjectNode config = (ObjectNode) JSON.readTree(model.resolve("config.json").toFile());
        config.put("model_type", "gpt2");
        config.putArray("architectures").add("GPT2LMHeadModel");
        Files.writeString(model.resolve("config.json"), config.toPrettyString());

        WorkerEvent.Failed failed = onlyFailure(WorkerRun.train(runtime, Suite.loraSpec(Path.of("gpt2"), null),
                workdir), FailureCode.BAD_SPEC);
        assertTrue(failed.message().startsWith("base_model: "), failed.message());
        assertTrue(failed.message().contains("'gpt2'"), "says what it found: " + failed.message());
    }

    /** Exit 2 and one event, {@code failed} with {@code code} and {@code exit_code} 2. */
    private static WorkerEvent.Failed onlyFailure(WorkerRun.Outcome run, FailureCode code) {
        run.assertExit(ExitCode.BAD_INPUT);
        List<WorkerEvent> events = run.events();
        assertEquals(1, events.size(), "one event: " + run.describe());
        WorkerEvent.Failed failed = assertInstanceOf(WorkerEvent.Failed.class, events.getFirst(), run.describe());
        assertEquals(code, failed.code(), run.describe());
        assertEquals(ExitCode.BAD_INPUT.status(), failed.exitCode(), run.describe());
        return failed;
    }
}
