package dev.tuneforge.gateway.domain;

/**
 * A project's settings, as the API shows and takes them ({@code /api/v1/projects/{id}/settings}).
 *
 * @param observations what the gateway keeps of the project's observations
 */
public record ProjectSettings(Observations observations) {

    /** @param rawText false: an observation's text is not stored, only features derived from it (default true) */
    public record Observations(Boolean rawText) {
    }
}
