package dev.tuneforge.trainer.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** How a general dataset is mixed into a job's training lines: a plain unit test, LeaseAndQueueTest stages it. */
class TrainMixTest {

    private static List<String> lines(String word, int n) {
        return IntStream.range(0, n).mapToObj(i -> "{\"" + word + "\": " + i + "}").toList();
    }

    private static Map<String, Long> counts(List<String> lines) {
        return lines.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }

    @Test
    void everyTaskLineOnceAndRoundOfNTimesFractionOverOneLessFractionGeneralLinesWithoutReplacement() {
        List<String> task = lines("task", 30);
        List<String> general = lines("general", 100);
        List<String> mixed = TrainMix.mix(task, general, 0.25, 42);
        assertEquals(40, mixed.size(), "30 task lines and round(30 * 0.25 / 0.75) = 10 general ones");
        assertEquals(counts(task), counts(mixed.stream().filter(l -> l.contains("task")).toList()));
        List<String> drawn = mixed.stream().filter(l -> l.contains("general")).toList();
        assertEquals(10, drawn.size());
        assertEquals(10, new HashSet<>(drawn).size(), "drawn without replacement");
        assertNotEquals(task, mixed.subList(0, 30), "shuffled together");
    }

    @Test
    void theSameSeedGivesTheSameFileAndAnotherSeedAnotherDraw() {
        List<String> task = lines("task", 20);
        List<String> general = lines("general", 50);
        assertEquals(TrainMix.mix(task, general, 0.5, 7), TrainMix.mix(task, general, 0.5, 7));
        assertNotEquals(TrainMix.mix(task, general, 0.5, 7), TrainMix.mix(task, general, 0.5, 8));
    }

    @Test
    void aGeneralSetSmallerThanItsShareIsDrawnWithReplacement() {
        List<String> mixed = TrainMix.mix(lines("task", 10), lines("general", 3), 0.9, 1);
        assertEquals(100, mixed.size(), "round(10 * 0.9 / 0.1) = 90 general lines from 3");
        assertEquals(3, mixed.stream().filter(l -> l.contains("general")).distinct().count());
    }
}
