package dev.tuneforge.kit.recipe;

import java.util.List;

/** A recipe that cannot run; {@link #errors()} names every wrong field. */
public class RecipeException extends IllegalArgumentException {

    private final List<String> errors;

    public RecipeException(List<String> errors) {
        super(String.join("; ", errors));
        this.errors = List.copyOf(errors);
    }

    public List<String> errors() {
        return errors;
    }
}
