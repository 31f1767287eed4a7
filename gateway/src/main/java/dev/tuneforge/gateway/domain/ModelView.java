package dev.tuneforge.gateway.domain;

import java.time.OffsetDateTime;
import java.util.Map;

/**
 * A registered model (a name of the project), projected from registry-service's events.
 *
 * @param aliases  alias → version ({@code champion} is the one served by the model's bare name)
 * @param champion the version {@code champion} points at, null while there is none
 */
public record ModelView(String name, Integer latestVersion, Integer champion, Map<String, Integer> aliases,
                        OffsetDateTime createdAt, OffsetDateTime updatedAt) {
}
