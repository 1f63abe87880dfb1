//! Recognizes ML frameworks and model servers from a container's image and command. Every rule
//! here is a documented heuristic: the catalog entries of the checks that use it list the same
//! image repositories and command words.

use kubewhy_source::k8s::core::v1::Container;

/// A framework a container runs, recognized by image or command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framework {
    Vllm,
    Tgi,
    Triton,
    Ollama,
    Kserve,
    RayServe,
    Ray,
    PyTorch,
    DeepSpeed,
}

impl Framework {
    /// The name users know it by.
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Vllm => "vLLM",
            Self::Tgi => "Text Generation Inference",
            Self::Triton => "Triton Inference Server",
            Self::Ollama => "Ollama",
            Self::Kserve => "KServe",
            Self::RayServe => "Ray Serve",
            Self::Ray => "Ray",
            Self::PyTorch => "PyTorch",
            Self::DeepSpeed => "DeepSpeed",
        }
    }

    /// Serves models over the network (probes and exposure matter).
    pub(super) fn is_model_server(self) -> bool {
        matches!(
            self,
            Self::Vllm | Self::Tgi | Self::Triton | Self::Ollama | Self::Kserve | Self::RayServe
        )
    }

    /// Runs several processes that share tensors through `/dev/shm` (NCCL, dataloader workers,
    /// Ray's object store). Ollama and the KServe predictors run one process.
    pub(super) fn uses_shared_memory(self) -> bool {
        !matches!(self, Self::Ollama | Self::Kserve)
    }
}

/// The framework `container` runs: its command and args win over its image, since a generic
/// image (`python:3.11`) may start `vllm serve`, and a Ray image may start Ray Serve.
pub(super) fn recognize(container: &Container) -> Option<Framework> {
    from_command(container).or_else(|| container.image.as_deref().and_then(from_image))
}

/// The image's repository, lowercase, without tag or digest.
fn repository(image: &str) -> String {
    let image = image.split('@').next().unwrap_or(image);
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    let repo = match image[last_slash..].find(':') {
        Some(colon) => &image[..last_slash + colon],
        None => image,
    };
    repo.to_ascii_lowercase()
}

fn from_image(image: &str) -> Option<Framework> {
    let repo = repository(image);
    let segments: Vec<&str> = repo.split('/').collect();
    let last = segments.last().copied().unwrap_or_default();
    let owner = segments.len().checked_sub(2).map_or("", |i| segments[i]);
    if last.contains("vllm") {
        Some(Framework::Vllm)
    } else if last == "text-generation-inference" {
        Some(Framework::Tgi)
    } else if last == "tritonserver" {
        Some(Framework::Triton)
    } else if owner == "ollama" && last == "ollama" {
        Some(Framework::Ollama)
    } else if owner == "kserve" && last.ends_with("server") {
        Some(Framework::Kserve)
    } else if owner == "rayproject" && last.starts_with("ray") {
        Some(Framework::Ray)
    } else if last == "pytorch" && matches!(owner, "pytorch" | "nvidia") {
        Some(Framework::PyTorch)
    } else if last.contains("deepspeed") {
        Some(Framework::DeepSpeed)
    } else {
        None
    }
}

/// The words of the command and args, split on whitespace so that `sh -c "vllm serve ..."`
/// counts, each reduced to the part after its last `/`.
fn words(container: &Container) -> Vec<&str> {
    let parts = container
        .command
        .iter()
        .flatten()
        .chain(container.args.iter().flatten());
    parts
        .flat_map(|part| part.split_whitespace())
        .map(|word| word.rsplit('/').next().unwrap_or(word))
        .collect()
}

fn from_command(container: &Container) -> Option<Framework> {
    let words = words(container);
    let module = |prefix: &str| {
        words
            .windows(2)
            .any(|w| w[0] == "-m" && w[1].starts_with(prefix))
    };
    let has = |word: &str| words.contains(&word);
    let ray_serve = words
        .windows(2)
        .any(|w| w[0] == "serve" && matches!(w[1], "run" | "deploy" | "start"));
    if has("vllm") || module("vllm") {
        Some(Framework::Vllm)
    } else if has("text-generation-launcher") {
        Some(Framework::Tgi)
    } else if has("tritonserver") {
        Some(Framework::Triton)
    } else if words.windows(2).any(|w| w == ["ollama", "serve"]) {
        Some(Framework::Ollama)
    } else if ray_serve {
        Some(Framework::RayServe)
    } else if has("torchrun")
        || module("torch.distributed.run")
        || module("torch.distributed.launch")
    {
        Some(Framework::PyTorch)
    } else if has("deepspeed") {
        Some(Framework::DeepSpeed)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(image: &str, command: &[&str], args: &[&str]) -> Container {
        let strings =
            |s: &[&str]| (!s.is_empty()).then(|| s.iter().map(|&w| w.to_owned()).collect());
        Container {
            name: "c".into(),
            image: Some(image.into()),
            command: strings(command),
            args: strings(args),
            ..Container::default()
        }
    }

    #[test]
    fn images_are_recognized_by_repository() {
        let cases = [
            ("vllm/vllm-openai:v0.6.3", Some(Framework::Vllm)),
            (
                "nvcr.io/nvidia/tritonserver:24.08-py3",
                Some(Framework::Triton),
            ),
            (
                "ghcr.io/huggingface/text-generation-inference:2.4",
                Some(Framework::Tgi),
            ),
            ("ollama/ollama", Some(Framework::Ollama)),
            ("kserve/huggingfaceserver:v0.14.0", Some(Framework::Kserve)),
            ("kserve/storage-initializer:v0.14.0", None),
            ("rayproject/ray-ml:2.9.0-gpu", Some(Framework::Ray)),
            ("nvcr.io/nvidia/pytorch:24.08-py3", Some(Framework::PyTorch)),
            (
                "registry:5000/pytorch/pytorch@sha256:abc",
                Some(Framework::PyTorch),
            ),
            ("ghcr.io/acme/pytorch-utils:1", None),
            ("ghcr.io/berriai/litellm:main-v1.52.0", None),
        ];
        for (image, want) in cases {
            assert_eq!(recognize(&container(image, &[], &[])), want, "{image}");
        }
    }

    #[test]
    fn commands_win_over_images() {
        let python = "python:3.11";
        let recognized =
            |command: &[&str], args: &[&str]| recognize(&container(python, command, args));
        assert_eq!(
            recognized(&["python", "-m", "vllm.entrypoints.openai.api_server"], &[]),
            Some(Framework::Vllm)
        );
        assert_eq!(
            recognized(
                &["sh", "-c"],
                &["exec /usr/local/bin/torchrun --nproc-per-node 8 train.py"]
            ),
            Some(Framework::PyTorch)
        );
        assert_eq!(
            recognized(&["serve", "run", "app:deployment"], &[]),
            Some(Framework::RayServe)
        );
        assert_eq!(recognized(&["python", "serve.py"], &[]), None);
        let ray = container("rayproject/ray:2.9.0", &["serve", "run", "app:d"], &[]);
        assert_eq!(recognize(&ray), Some(Framework::RayServe));
    }
}
