package dev.tuneforge.gateway.domain;

/**
 * Until projects and API keys arrive, every request acts in one project. Every command still carries
 * the project id and every query is scoped by it, so keys only change where the id comes from.
 */
public final class Tenancy {

    public static final String DEFAULT_PROJECT = "default";

    private Tenancy() {
    }
}
