package dev.tuneforge.worker.protocol;

import java.util.List;

/** A spec that does not validate: every problem, each with the path of the field that is wrong. */
public class SpecException extends RuntimeException {

    private final List<String> problems;

    public SpecException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
