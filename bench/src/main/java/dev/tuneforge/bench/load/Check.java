package dev.tuneforge.bench.load;

/** One thing the run must show (nothing lost, nothing doubled, nothing failed), and what it found. */
record Check(String what, boolean passed, String found) {
}
