package dev.tuneforge.gateway.domain;

import dev.tuneforge.gateway.storage.ProjectStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Projects (tenants). Only the platform admin creates projects and sees all of them; any other key
 * sees its own project only. A project id is a slug: it appears in S3 keys and URLs.
 */
@ApplicationScoped
public class Projects {

    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9-]{1,39}");

    private final ProjectStore store;

    public Projects(ProjectStore store) {
        this.store = store;
    }

    @Transactional
    public ProjectView create(Caller caller, String id) {
        caller.requirePlatformAdmin();
        if (id == null || !ID.matcher(id).matches()) {
            throw DomainException.invalid("'id' must be 2 to 40 characters: lower-case letters, digits and '-',"
                    + " starting with a letter; was '" + id + "'");
        }
        if (!store.insert(id)) {
            throw DomainException.conflict("project '" + id + "' exists already");
        }
        return store.find(id).orElseThrow();
    }

    public ProjectView get(Caller caller, String id) {
        if (!caller.platformAdmin() && !caller.projectId().equals(id)) {
            throw DomainException.notFound("no project '" + id + "'");
        }
        return store.find(id).orElseThrow(() -> DomainException.notFound("no project '" + id + "'"));
    }

    public Page<ProjectView> list(Caller caller, String after, int limit) {
        if (!caller.platformAdmin()) {
            List<ProjectView> own = caller.projectId().compareTo(after == null ? "" : after) > 0
                    ? store.find(caller.projectId()).stream().toList() : List.of();
            return new Page<>(own, false, null);
        }
        return Page.of(store.list(after, limit + 1), limit, ProjectView::id);
    }

    public ProjectSettings settings(Caller caller, String id) {
        get(caller, id);
        return new ProjectSettings(new ProjectSettings.Observations(store.observationsRawText(id).orElseThrow()));
    }

    /** Changes what {@code settings} names (a project admin of its own project, or the platform admin). */
    @Transactional
    public ProjectSettings update(Caller caller, String id, ProjectSettings settings) {
        if (!caller.platformAdmin()) {
            caller.requireAdmin();
        }
        get(caller, id);
        if (settings == null || settings.observations() == null || settings.observations().rawText() == null) {
            throw DomainException.invalid("the body must be {\"observations\": {\"raw_text\": true or false}}");
        }
        store.setObservationsRawText(id, settings.observations().rawText());
        return settings(caller, id);
    }
}
