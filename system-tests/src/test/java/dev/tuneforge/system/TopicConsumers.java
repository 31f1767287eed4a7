package dev.tuneforge.system;

import dev.tuneforge.events.Topics;
import java.util.List;
import java.util.Map;

/** Which services consume each topic (their {@code application.properties}; each service is its consumer group). */
final class TopicConsumers {

    static final Map<String, List<String>> OF = Map.of(
            Topics.DATASETS, List.of("dataset-service", "eval-service", "gateway", "registry-service",
                    "trainer-service"),
            Topics.TRAINING, List.of("eval-service", "gateway", "registry-service"),
            Topics.EVAL, List.of("gateway", "registry-service"),
            Topics.REGISTRY, List.of("eval-service", "gateway"),
            Topics.MONITORING, List.of("eval-service", "gateway", "trainer-service"),
            Topics.COMMANDS, List.of("eval-service", "gateway", "registry-service", "trainer-service"));

    private TopicConsumers() {
    }
}
