# Constants, input functions and per-job parameters of the rules in models.smk.

TWIN = trained_model_id("{variant}", "{seed}")  # the wildcards of a trained model id
# the pairs source trained on (in an analysis-only run a name that no job asks for)
TRAINED_PAIRS = TRAIN.get("pairs", "nothing-trained")


@per_job
def variant_dims(wildcards):
    return VARIANTS[wildcards.variant]["dims"]


@per_job
def variant_weights(wildcards):
    return VARIANTS[wildcards.variant]["weights"]


@per_job
def variant_dedicated(wildcards):
    """The size of a dedicated variant's head; None for a twin."""
    return VARIANTS[wildcards.variant].get("dedicated")


@per_job
def train_settings(wildcards):
    """Hyper-parameters shared by every variant; the seed comes from the wildcard."""
    skip = {"variants", "seeds", "pairs", "checkpoint_steps"}
    return Digest(
        "train settings",
        {k: v for k, v in TRAIN.items() if k not in skip}
        | {"seed": int(wildcards.seed)},
    )


def external_setting(key):
    """A per-job parameter: the setting ``key`` of the external model of the job."""

    @per_job
    def setting(wildcards):
        return EXTERNAL[wildcards.external][key]

    return setting


@per_job
def external_key(wildcards):
    """The config key that errors about an external model's source name."""
    return f"models.{wildcards.external}.source"
