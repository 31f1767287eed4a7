package dev.tuneforge.gateway.domain;

import java.util.Arrays;
import java.util.Optional;

/** What a key may do in its project. */
public enum Role {
    /** Everything in the project, including its keys. */
    ADMIN("admin"),
    /** Read and write the project's resources; no key management. */
    MEMBER("member"),
    /** Read only: any method but GET and HEAD is refused. */
    READ_ONLY("read-only");

    private final String value;

    Role(String value) {
        this.value = value;
    }

    public String value() {
        return value;
    }

    public static Optional<Role> of(String value) {
        return Arrays.stream(values()).filter(role -> role.value.equals(value)).findFirst();
    }
}
