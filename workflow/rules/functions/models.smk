# Constants, input functions and per-job parameters of the rules in models.smk.

TWIN = trained_model_id("{variant}", "{seed}")  # the wildcards of a trained model id


@per_job
def variant_dims(wildcards):
    return VARIANTS[wildcards.variant]["dims"]


@per_job
def variant_weights(wildcards):
    return VARIANTS[wildcards.variant]["weights"]


@per_job
def train_settings(wildcards):
    """Hyper-parameters shared by every variant; the seed comes from the wildcard."""
    skip = {"variants", "seeds", "pairs", "checkpoint_steps"}
    return canonical(
        {k: v for k, v in TRAIN.items() if k not in skip}
        | {"seed": int(wildcards.seed)}
    )
