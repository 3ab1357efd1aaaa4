# What a run makes, by stage. Included last: it names the targets that each stage's functions define
# (diffing_targets in functions/diffing.smk), so common.smk depends only on what it defines.


def final_targets():
    figures = ["geometry", "collapse", "outliers"]
    figures += [f"suite_{c}" for c in CORPORA]
    tables = ["geometry"]
    if VARIANT_OF:  # something is trained
        figures += ["training_loss", "training_norms", "cost"]
        tables += ["training", "cost"]
    if config["embed"]["checkpoints"] == "all" and TRAIN.get("checkpoint_steps"):
        figures.append("checkpoints")
    if TASKS:
        figures += ["quality", "quality_bytes"]
        tables.append("quality")
    if TWIN_PAIRS:
        tables.append("differences")
    if EXTERNAL:  # every external model on one panel per metric, near-twins as pairs
        figures.append("zoo")
    return [
        *figure_targets(figures),
        *expand(results("metrics/{table}.csv"), table=tables),
        *([results("findings.md")] if "differences" in tables else []),
        results("provenance.json"),
        *diffing_targets(),
    ]
