package dev.tuneforge.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The load test's verdict on "nothing lost, nothing doubled" (not a stack test: the ledger only counts what it was
 * given, so the cases a healthy platform never produces are built here by hand).
 */
class EventLedgerTest {

    private static final String READY = UploadLoad.READY;
    private static final String UPLOADED = UploadLoad.UPLOADED;

    @Test
    void anItemWithOneEventPassesAndARedeliveryOfThatEventIsStillOne() {
        // A redelivered record has the first one's CloudEvents id: the set holds it once.
        EventLedger ledger = new EventLedger("test", Map.of("ds_1", Map.of(READY, Set.of("id-a"))));

        Check check = ledger.exactlyOnce(List.of("ds_1"), List.of(READY), "upload ready");

        assertTrue(check.passed(), check.toString());
        assertEquals("1 of 1 exactly once", check.found());
    }

    @Test
    void aSecondEventWithAnotherIdAboutTheSameItemIsCaughtAsDoubled() {
        EventLedger ledger = new EventLedger("test", Map.of("ds_1", Map.of(READY, Set.of("id-a", "id-b")),
                "ds_2", Map.of(READY, Set.of("id-c"))));

        Check check = ledger.exactlyOnce(List.of("ds_1", "ds_2"), List.of(READY), "upload ready");

        assertFalse(check.passed());
        assertEquals("1 not exactly once: [ds_1 ×2]", check.found());
    }

    @Test
    void anAcceptedItemWithoutItsEventIsCaughtAsLost() {
        EventLedger ledger = new EventLedger("test", Map.of("ds_1", Map.of(UPLOADED, Set.of("id-a"))));

        Check check = ledger.exactlyOnce(List.of("ds_1"), List.of(READY), "upload ready");

        assertFalse(check.passed());
        assertEquals("1 not exactly once: [ds_1 ×0]", check.found());
    }

    @Test
    void twoDifferentTerminalEventsOfOneJobAreTwoTerminalEvents() {
        EventLedger ledger = new EventLedger("test", Map.of("job_1",
                Map.of(JobLoad.FINISHED, Set.of("id-a"), JobLoad.FAILED, Set.of("id-b"))));

        assertFalse(ledger.exactlyOnce(List.of("job_1"), JobLoad.TERMINAL, "job's terminal event").passed());
    }

    @Test
    void anItemTheClientsWereNotToldAboutIsCaught() {
        // e.g. an upload whose call failed with a 5xx but was stored all the same
        EventLedger ledger = new EventLedger("test", Map.of("ds_1", Map.of(UPLOADED, Set.of("id-a")),
                "ds_9", Map.of(UPLOADED, Set.of("id-b"))));

        Check check = ledger.noneBut(List.of("ds_1"), UPLOADED, "uploads stored");

        assertFalse(check.passed());
        assertEquals("1 other: [ds_9]", check.found());
    }

    @Test
    void aRejectionOfAnAcceptedUploadIsCaught() {
        EventLedger ledger = new EventLedger("test", Map.of("ds_1", Map.of(UploadLoad.REJECTED, Set.of("id-a"))));

        assertFalse(ledger.never(List.of("ds_1"), UploadLoad.REJECTED, "uploads rejected").passed());
        assertTrue(ledger.never(List.of("ds_2"), UploadLoad.REJECTED, "uploads rejected").passed());
    }

    @Test
    void theLedgersOfTwoTopicsTogetherCountEachEventOnce() {
        EventLedger commands = new EventLedger("Kafka tuneforge.commands",
                Map.of("job_1", Map.of(JobLoad.REQUESTED, Set.of("id-a"))));
        EventLedger training = new EventLedger("Kafka tuneforge.training",
                Map.of("job_1", Map.of(JobLoad.FINISHED, Set.of("id-b"))));

        EventLedger both = commands.merge(training);

        assertEquals("Kafka tuneforge.commands + tuneforge.training", both.source());
        assertTrue(both.exactlyOnce(List.of("job_1"), List.of(JobLoad.REQUESTED), "job requested").passed());
        assertTrue(both.exactlyOnce(List.of("job_1"), JobLoad.TERMINAL, "job's terminal event").passed());
    }
}
