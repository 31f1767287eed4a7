package dev.tuneforge.registry.domain;

import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.ModelRolledBack;
import dev.tuneforge.events.ModelArchiveRequested;
import dev.tuneforge.events.ModelArchived;
import dev.tuneforge.events.PromotionRequested;
import dev.tuneforge.events.RollbackRequested;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.naming.Names;
import dev.tuneforge.registry.storage.Aliases;
import dev.tuneforge.registry.storage.AuditLog;
import dev.tuneforge.registry.storage.ModelVersions;
import dev.tuneforge.registry.storage.Models;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.tuneforge.events.ModelPromoted.CHAMPION;
import static dev.tuneforge.events.ModelPromoted.PREVIOUS_CHAMPION;

/**
 * Alias moves: an evaluation's pass, a manual promotion, a rollback. Each runs with the model's row locked
 * (so moves of one model are atomic and ordered) and emits one event per actual change; a request that would
 * change nothing emits nothing; a request that cannot be honoured (unknown or rejected version, nothing to roll
 * back to) changes nothing and is written to the audit log as refused: the event contract has no failure event
 * for promotions yet.
 */
@ApplicationScoped
public class Promotions {

    private final Models models;
    private final ModelVersions versions;
    private final Aliases aliases;
    private final AuditLog audit;
    private final Outbox outbox;

    public Promotions(Models models, ModelVersions versions, Aliases aliases, AuditLog audit, Outbox outbox) {
        this.models = models;
        this.versions = versions;
        this.aliases = aliases;
        this.audit = audit;
        this.outbox = outbox;
    }

    public void promotionRequested(PromotionRequested r, Cause cause) {
        String project = r.projectId();
        String model = r.modelName();
        String alias = r.alias() == null || r.alias().isBlank() ? CHAMPION : r.alias();
        if (!models.lockExisting(project, model)) {
            refuse(project, model, r.version(), "promotion-refused", cause, alias, "model " + model + " has no versions");
            return;
        }
        Optional<String> badAlias = Names.aliasProblem("alias", alias);
        if (badAlias.isPresent()) {
            refuse(project, model, r.version(), "promotion-refused", cause, alias,
                    "alias '" + alias + "' cannot be set: " + badAlias.get());
            return;
        }
        Optional<ModelVersion> version = versions.find(project, model, r.version());
        if (version.isEmpty()) {
            refuse(project, model, r.version(), "promotion-refused", cause, alias,
                    "model " + model + " has no version " + r.version());
            return;
        }
        if (version.get().rejected()) {
            refuse(project, model, r.version(), "promotion-refused", cause, alias,
                    "version " + r.version() + " was rejected by its evaluation and is never promoted");
            return;
        }
        if (version.get().archived()) {
            refuse(project, model, r.version(), "promotion-refused", cause, alias,
                    "version " + r.version() + " is archived and is never promoted");
            return;
        }
        if (CHAMPION.equals(alias)) {
            moveChampion(version.get(), "promotion", cause);
            return;
        }
        Integer current = aliases.get(project, model, alias).orElse(null);
        if (current != null && current == r.version()) {
            return;
        }
        aliases.set(project, model, alias, r.version(), current, "promotion", cause.actor());
        audit.append(project, model, r.version(), "alias-moved", cause, detail("alias", alias, "from", current,
                "to", r.version(), "cause", "promotion"));
        outbox.publish(new ModelPromoted(project, model, r.version(), alias, current, cause.actor(),
                aliases.of(project, model)));
    }

    /**
     * Makes the version champion, the champion before it {@code previous-champion}, and a candidate
     * {@code promoted}. Call with the model locked and the version known not to be rejected; false if it
     * already was champion.
     */
    boolean moveChampion(ModelVersion v, String why, Cause cause) {
        String project = v.projectId();
        String model = v.modelName();
        Integer current = aliases.get(project, model, CHAMPION).orElse(null);
        if (current != null && current == v.version()) {
            return false;
        }
        aliases.set(project, model, CHAMPION, v.version(), current, why, cause.actor());
        audit.append(project, model, v.version(), "alias-moved", cause, detail("alias", CHAMPION, "from", current,
                "to", v.version(), "cause", why));
        if (current != null) {
            Integer previous = aliases.get(project, model, PREVIOUS_CHAMPION).orElse(null);
            aliases.set(project, model, PREVIOUS_CHAMPION, current, previous, why, cause.actor());
            audit.append(project, model, current, "alias-moved", cause, detail("alias", PREVIOUS_CHAMPION,
                    "from", previous, "to", current, "cause", why));
        }
        if (ModelVersion.CANDIDATE.equals(v.status())) {
            versions.setStatus(project, model, v.version(), ModelVersion.PROMOTED);
            audit.append(project, model, v.version(), "status-changed", cause, detail("from", v.status(),
                    "to", ModelVersion.PROMOTED));
        }
        outbox.publish(new ModelPromoted(project, model, v.version(), CHAMPION, current, requester(why, cause),
                aliases.of(project, model)));
        return true;
    }

    /**
     * Champion goes back to {@code previous-champion}; {@code previous-champion} to the champion before that one
     * (from the champion's history), or away when there is none. Emits {@link ModelRolledBack}, then
     * {@link ModelPromoted} for the new champion, which is what consumers that follow the champion read.
     */
    public void rollbackRequested(RollbackRequested r, Cause cause) {
        String project = r.projectId();
        String model = r.modelName();
        if (!models.lockExisting(project, model)) {
            refuse(project, model, null, "rollback-refused", cause, CHAMPION, "model " + model + " has no versions");
            return;
        }
        Integer champion = aliases.get(project, model, CHAMPION).orElse(null);
        if (r.fromVersion() != null && !r.fromVersion().equals(champion)) {
            return; // already rolled back (or moved on) since the requester looked: nothing to do
        }
        Integer target = aliases.get(project, model, PREVIOUS_CHAMPION).orElse(null);
        if (champion == null || target == null) {
            refuse(project, model, champion, "rollback-refused", cause, CHAMPION, champion == null
                    ? "model " + model + " has no champion" : "model " + model + " has no previous champion");
            return;
        }
        Integer before = aliases.championBefore(project, model, target)
                .filter(v -> !v.equals(champion) && !v.equals(target)).orElse(null);
        aliases.set(project, model, CHAMPION, target, champion, "rollback", cause.actor());
        if (before != null) {
            aliases.set(project, model, PREVIOUS_CHAMPION, before, target, "rollback", cause.actor());
        } else {
            aliases.remove(project, model, PREVIOUS_CHAMPION, target, "rollback", cause.actor());
        }
        audit.append(project, model, target, "rolled-back", cause, detail("from", champion, "to", target,
                PREVIOUS_CHAMPION, before));
        Map<String, Integer> now = aliases.of(project, model);
        outbox.publish(new ModelRolledBack(project, model, champion, target, cause.actor(), now));
        outbox.publish(new ModelPromoted(project, model, target, CHAMPION, champion, cause.actor(), now));
    }

    /**
     * Archives a version no alias points at: its status becomes {@code archived} (it is never served nor promoted
     * again; artifact and lineage stay) and {@link ModelArchived} says so. A version an alias points at is refused
     * (the audit log says why): promote another first. Archiving an archived version does nothing.
     */
    public void archiveRequested(ModelArchiveRequested r, Cause cause) {
        String project = r.projectId();
        String model = r.modelName();
        if (!models.lockExisting(project, model)) {
            refuse(project, model, r.version(), "archive-refused", cause, null, "model " + model + " has no versions");
            return;
        }
        Optional<ModelVersion> version = versions.find(project, model, r.version());
        if (version.isEmpty()) {
            refuse(project, model, r.version(), "archive-refused", cause, null,
                    "model " + model + " has no version " + r.version());
            return;
        }
        if (version.get().archived()) {
            return;
        }
        List<String> pointing = aliases.of(project, model).entrySet().stream()
                .filter(e -> e.getValue() == r.version()).map(Map.Entry::getKey).sorted().toList();
        if (!pointing.isEmpty()) {
            refuse(project, model, r.version(), "archive-refused", cause, String.join(",", pointing),
                    "version " + r.version() + " is " + String.join(", ", pointing) + "; promote another first");
            return;
        }
        versions.setStatus(project, model, r.version(), ModelVersion.ARCHIVED);
        audit.append(project, model, r.version(), "status-changed", cause, detail("from", version.get().status(),
                "to", ModelVersion.ARCHIVED));
        outbox.publish(new ModelArchived(project, model, r.version(), cause.actor()));
    }

    private void refuse(String project, String model, Integer version, String action, Cause cause, String alias,
                        String reason) {
        audit.append(project, model, version, action, cause, detail("alias", alias, "reason", reason));
    }

    private static String requester(String why, Cause cause) {
        return "evaluation".equals(why) ? null : cause.actor();
    }

    /** Key/value pairs, nulls kept (an alias that pointed nowhere is worth saying). */
    static Map<String, Object> detail(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }
}
