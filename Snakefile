# mrlens: what does Matryoshka Representation Learning do to a text encoder?
# prepare data -> resolve base -> train twins -> embed -> metrics at every size -> figures


from snakemake.utils import min_version

min_version("9.0")


# The default config, unless --configfile names another, which replaces it; a file that says
# `extends: config/config.yaml` is merged over it instead (common.smk, docs/reference/config.md).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/embed.smk"
include: "workflow/rules/metrics.smk"
include: "workflow/rules/quality.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/diffing.smk"
include: "workflow/rules/inference.smk"
include: "workflow/rules/provenance.smk"
include: "workflow/rules/targets.smk"


rule all:
    default_target: True
    input:
        final_targets(),
