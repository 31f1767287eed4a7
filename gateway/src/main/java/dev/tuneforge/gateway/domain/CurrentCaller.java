package dev.tuneforge.gateway.domain;

import jakarta.enterprise.context.RequestScoped;

/**
 * The authenticated caller of the current request (an API key or an OIDC token), set by the API key
 * filter before any resource runs.
 */
@RequestScoped
public class CurrentCaller {

    private Caller caller;

    public Caller get() {
        if (caller == null) {
            throw new IllegalStateException("no authenticated caller in this request");
        }
        return caller;
    }

    public void set(Caller caller) {
        this.caller = caller;
    }
}
