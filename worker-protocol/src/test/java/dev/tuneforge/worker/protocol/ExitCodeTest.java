package dev.tuneforge.worker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ExitCodeTest {

    @Test
    void everyCodeWithAStatusMapsBackFromIt() {
        for (ExitCode code : ExitCode.values()) {
            if (code.hasStatus()) {
                assertEquals(code, ExitCode.of(code.status()));
                assertEquals(code, WorkerExit.of(code).code());
            }
        }
        assertEquals(ExitCode.KILLED, ExitCode.of(137));
        assertEquals(ExitCode.TERMINATED, ExitCode.of(143));
    }

    @Test
    void anotherSignalIsSignalledAndAnyOtherStatusIsOtherBothKeepingTheNumber() {
        assertEquals(ExitCode.SIGNALLED, ExitCode.of(134));
        assertEquals(ExitCode.OTHER, ExitCode.of(5));
        assertEquals(ExitCode.OTHER, ExitCode.of(-1));
        assertEquals(ExitCode.OTHER, ExitCode.of(255));
        assertEquals("worker exited with 134 (killed by signal 6)", new WorkerExit(134).describe());
        assertEquals("worker exited with 5", new WorkerExit(5).describe());
        assertThrows(IllegalStateException.class, ExitCode.SIGNALLED::status);
        assertThrows(IllegalStateException.class, () -> WorkerExit.of(ExitCode.OTHER));
    }

    @Test
    void theDescriptionsSayWhatEachProtocolCodeMeans() {
        assertEquals("worker exited with 0 (done)", WorkerExit.of(ExitCode.DONE).describe());
        assertEquals("worker exited with 2 (bad spec or data)", new WorkerExit(2).describe());
        assertEquals("worker exited with 137 (killed by signal 9)", new WorkerExit(137).describe());
        assertEquals("worker exited with 143 (stopped by SIGTERM)", new WorkerExit(143).describe());
    }

    @Test
    void everyFailureCodeIsFollowedByTheExitCodeTheProtocolNames() {
        assertEquals(ExitCode.BAD_INPUT, FailureCode.BAD_SPEC.exitCode());
        assertEquals(ExitCode.BAD_INPUT, FailureCode.BAD_DATA.exitCode());
        assertEquals(ExitCode.OUT_OF_RESOURCES, FailureCode.OUT_OF_RESOURCES.exitCode());
        assertEquals(ExitCode.INTERNAL, FailureCode.INTERNAL.exitCode());
        assertEquals("out_of_resources", FailureCode.OUT_OF_RESOURCES.wireName());
    }

    @Test
    void theDocumentsExitCodeTableListsExactlyTheCodesWithAStatus() {
        String doc = ProtocolDoc.text();
        String section = doc.substring(doc.indexOf("## Exit codes"), doc.indexOf("## `train`"));
        Matcher row = Pattern.compile("(?m)^\\| (\\d+) \\|").matcher(section);
        Set<Integer> documented = new TreeSet<>();
        while (row.find()) {
            documented.add(Integer.parseInt(row.group(1)));
        }
        Set<Integer> coded = Arrays.stream(ExitCode.values()).filter(ExitCode::hasStatus).map(ExitCode::status)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(coded, documented);
        assertFalse(documented.isEmpty());
    }
}
