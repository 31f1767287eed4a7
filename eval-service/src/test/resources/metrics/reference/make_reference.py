#!/usr/bin/env python3
"""Builds the fixed BLEU / ROUGE-L reference corpus and the reference numbers.

Run once with the system python3 (needs numpy, six, nltk — Debian packages
python3-numpy, python3-six, python3-nltk) from this directory:

    /usr/bin/python3 make_reference.py

It imports `sacrebleu` and `rouge` (google-research rouge_score) from ./upstream
(see README.md for the exact upstream files) or, failing that, from an installed
`sacrebleu` / `rouge_score`. It writes corpus.jsonl and reference.json next to it.
"""

import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "upstream"))

from sacrebleu.metrics import BLEU  # noqa: E402

from nltk.stem.porter import PorterStemmer  # noqa: E402

try:
    from rouge import rouge_scorer  # google-research layout
    from rouge.tokenize import tokenize as _rouge_tokenize
except ImportError:  # pip package layout
    from rouge_score import rouge_scorer
    from rouge_score.tokenize import tokenize as _rouge_tokenize


def rouge_tokenize(text):
    """rouge_score's tokenizer without stemming."""
    return _rouge_tokenize(text, None)

# Hand-written pairs covering the tokeniser edge cases: punctuation, numbers with
# separators, dashes after digits, HTML entities, casing, quotes, empty hypotheses.
FIXED = [
    ("The cat sat on the mat.", "The cat sat on the mat."),
    ("the cat sat on the mat", "The cat sat on the mat."),
    ("", "A hypothesis can be empty."),
    ("", "Nothing was generated for this one"),
    ("Hello, world!", "Hello world"),
    ("It costs $3.50, not $4.", "It costs $3.50 and not $4."),
    ("We sold 1,000,000 units in 2023.", "We sold 1,000,000 units in 2023."),
    ("Pages 10-20 were missing.", "Pages 10 - 20 were missing."),
    ("The ratio was 3.14159.", "The ratio is about 3.14."),
    ("Tom & Jerry &amp; friends", "Tom &amp; Jerry & friends"),
    ("He said \"no\" loudly.", "He said &quot;no&quot; loudly."),
    ("x<y and y>z", "x &lt; y and y &gt; z"),
    ("Dr. Smith's well-known e-mail: smith@example.com", "Dr. Smith's well-known email: smith@example.com"),
    ("UPPER CASE SENTENCE", "upper case sentence"),
    ("Mixed CaSe Tokens Here", "Mixed case tokens here"),
    ("one", "one"),
    ("one two", "one two three"),
    ("one two three four five", "one two three four five six seven eight"),
    ("a b c d e f g h i j k l m n o p", "a b c d e f g h i j k l m n o p"),
    ("   leading and trailing spaces   ", "leading and trailing spaces"),
    ("tabs\tand\tspaces", "tabs and spaces"),
    ("line one-\nline two", "line oneline two"),
    ("Je suis allé à l'école.", "Je suis allée à l'école."),
    ("Straße, Größe, Übermaß!", "Strasse, Groesse, Uebermass!"),
    ("Price: 5,5 EUR; total: 11,0 EUR.", "Price: 5.5 EUR; total: 11.0 EUR."),
    ("Version 2.0-beta released", "Version 2.0 - beta released"),
    ("(parenthesised) [bracketed] {braced}", "parenthesised bracketed braced"),
    ("What?! Really?!", "What? Really?"),
    ("e.g. i.e. etc.", "for example, that is, and so on."),
    ("The the the the the the the.", "The cat is on the mat."),
    ("running runs ran runner", "run running ran runs"),
    ("generalization generalizations generalize", "generalizing generalized generalizes"),
    ("connection connections connective connected connecting",
     "connect connected connecting connection connections"),
    ("happiness happily happy", "happier happiest happiness"),
    ("The quick brown fox jumps over the lazy dog",
     "The quick brown dog jumps on the log."),
    ("It's 9:30 a.m. on 2024-01-15.", "It is 9:30 am on 2024-01-15."),
    ("50% off -- today only!", "50 % off, today only!"),
    ("#hashtag @mention ~tilde ^caret |pipe", "hashtag mention tilde caret pipe"),
    ("A, B, C.", "A,B,C."),
    ("1.5.3", "1.5.3"),
    ("Call 555-1234 now", "Call 555 - 1234 now"),
    ("<skipped> token removed", "token removed"),
]

SUBJECTS = ["The model", "Our system", "The trained adapter", "A small network", "The baseline",
            "This fine-tuned checkpoint", "The evaluator", "Every worker", "The tokenizer",
            "The scheduler"]
VERBS = ["predicts", "generates", "returns", "computes", "writes", "reports", "selects",
         "produces", "emits", "stores"]
OBJECTS = ["the correct answer", "a valid JSON object", "three short sentences",
           "the final score", "42 tokens", "an empty list", "the label 'positive'",
           "a summary of the article", "the translated text", "1.5 times more output"]
TAILS = ["", " quickly", " after training", " in 3 epochs", " with 95% accuracy",
         ", as expected", " for every example", " (most of the time)", " on the test set",
         " without errors"]
PUNCT = [".", "!", "?", "", ".", "."]


def sentence(rng):
    return (rng.choice(SUBJECTS) + " " + rng.choice(VERBS) + " " + rng.choice(OBJECTS)
            + rng.choice(TAILS) + rng.choice(PUNCT))


def perturb(rng, text):
    """Derives a hypothesis from a reference with word-level edits."""
    words = text.split()
    ops = rng.randint(0, 4)
    for _ in range(ops):
        op = rng.choice(["drop", "swap", "replace", "dup", "case", "punct"])
        if not words:
            break
        i = rng.randrange(len(words))
        if op == "drop" and len(words) > 1:
            del words[i]
        elif op == "swap" and len(words) > 1:
            j = rng.randrange(len(words))
            words[i], words[j] = words[j], words[i]
        elif op == "replace":
            words[i] = rng.choice(["a", "the", "model", "output", "score", "7", "data"])
        elif op == "dup":
            words.insert(i, words[i])
        elif op == "case":
            words[i] = words[i].upper() if rng.random() < 0.5 else words[i].lower()
        elif op == "punct":
            words[i] = words[i] + rng.choice([",", ".", ";", ":", "!"])
    return " ".join(words)


def build_corpus():
    rng = random.Random(20240607)
    pairs = list(FIXED)
    while len(pairs) < 130:
        ref = sentence(rng)
        if rng.random() < 0.3:
            ref = ref + " " + sentence(rng)
        r = rng.random()
        if r < 0.1:
            hyp = ref                      # exact match
        elif r < 0.15:
            hyp = sentence(rng)            # unrelated sentence
        else:
            hyp = perturb(rng, ref)
        pairs.append((hyp, ref))
    return [{"id": i, "hyp": h, "ref": r} for i, (h, r) in enumerate(pairs)]


# Words from Porter (1980) and NLTK's docstrings plus the irregular forms; the corpus tokens
# are added in main().
PORTER_WORDS = """caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated
troubled sized hopping tanned falling hissing fizzed failing filing happy sky relational
conditional rational valenci hesitanci digitizer conformabli radicalli differentli vileli
analogousli vietnamization predication operator feudalism decisiveness hopefulness callousness
formaliti sensitiviti sensibiliti triplicate formative formalize electriciti electrical hopeful
goodness revival allowance inference airliner gyroscopic adjustable defensible irritant
replacement adjustment dependent adoption homologou communism activate angulariti homologous
effective bowdlerize probate rate cease controll roll generalizations oscillators skies dying
lying tying news innings inning outings outing cannings canning howe proceed exceed succeed
spied tried flies enjoy enjoyment spy fly try dies lies died tied generously fully
archaeology biology psychologi analogi tyranny syzygy toy trouble oats trees ivy troubles
private oaten orrery agree bleed abbreviation abilities ability abnormalities aboard
accountable knightly knitting national nationalism yesterday yelled quietly ululation
bus buss is as ya yo""".split()


def bleu_dict(s):
    return {
        "score": s.score,
        "counts": list(s.counts),
        "totals": list(s.totals),
        "precisions": list(s.precisions),
        "bp": s.bp,
        "sys_len": s.sys_len,
        "ref_len": s.ref_len,
    }


def main():
    corpus = build_corpus()
    hyps = [p["hyp"] for p in corpus]
    refs = [p["ref"] for p in corpus]

    # sacrebleu.corpus_bleu(hyps, [refs]) defaults: 13a, exp smoothing, no lowercase,
    # effective_order=False.
    corpus_metric = BLEU()
    corpus_bleu = corpus_metric.corpus_score(hyps, [refs])
    corpus_signature = corpus_metric.get_signature()
    # sacrebleu.sentence_bleu defaults: exp smoothing, use_effective_order=True.
    sentence_metric = BLEU(effective_order=True)

    plain = rouge_scorer.RougeScorer(["rougeL"])
    stemmed = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)

    per_pair = []
    for p in corpus:
        s = sentence_metric.sentence_score(p["hyp"], [p["ref"]])
        # RougeScorer.score(target, prediction)
        rl = plain.score(p["ref"], p["hyp"])["rougeL"]
        rs = stemmed.score(p["ref"], p["hyp"])["rougeL"]
        per_pair.append({
            "id": p["id"],
            "sentence_bleu": bleu_dict(s),
            "rougeL": {"precision": rl.precision, "recall": rl.recall, "fmeasure": rl.fmeasure},
            "rougeL_stemmed": {"precision": rs.precision, "recall": rs.recall,
                               "fmeasure": rs.fmeasure},
        })

    # A published example: the sacreBLEU README (two reference streams) gives 48.53.
    readme_hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
    readme_refs = [["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
                   ["The dog had bit the man.", "No one was surprised.",
                    "The man had bitten the dog."]]

    words = set(PORTER_WORDS)
    for p in corpus:
        for text in (p["hyp"], p["ref"]):
            words.update(t for t in rouge_tokenize(text) if len(t) > 3)
    stemmer = PorterStemmer()
    porter = {w: stemmer.stem(w) for w in sorted(words)}

    reference = {
        "generator": "make_reference.py",
        "corpus_size": len(corpus),
        "corpus_bleu": bleu_dict(corpus_bleu),
        "corpus_bleu_signature": str(corpus_signature),
        "corpus_bleu_lowercase": bleu_dict(BLEU(lowercase=True).corpus_score(hyps, [refs])),
        "readme_multi_ref": {
            "hyps": readme_hyps,
            "refs": readme_refs,
            "bleu": bleu_dict(BLEU().corpus_score(readme_hyps, readme_refs)),
        },
        "pairs": per_pair,
        "porter_stems": porter,
    }

    with open(os.path.join(HERE, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for p in corpus:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    with open(os.path.join(HERE, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(corpus)} pairs; corpus BLEU = {corpus_bleu}")


if __name__ == "__main__":
    main()
