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

/// The last path segments of vLLM's images (`vllm/vllm-openai`, `rocm/vllm`): exact names, as
/// neighbouring projects (`vllm-router`, `vllm-benchmark`) are no model servers.
const VLLM_IMAGES: [&str; 4] = ["vllm", "vllm-openai", "vllm-openai-rocm", "vllm-tpu"];

fn from_image(image: &str) -> Option<Framework> {
    let repo = repository(image);
    let segments: Vec<&str> = repo.split('/').collect();
    let last = segments.last().copied().unwrap_or_default();
    let owner = segments.len().checked_sub(2).map_or("", |i| segments[i]);
    if VLLM_IMAGES.contains(&last) {
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

/// One word of the command and args.
struct Word<'a> {
    /// The word reduced to the part after its last `/` (`/usr/local/bin/vllm` is `vllm`).
    text: &'a str,
    /// Whether it is where a program name goes: the first word, or the first after `&&`, `;`,
    /// `exec`, a shell's `-c` and the like. `pip install vllm` and `--download-dir /cache/vllm`
    /// name vLLM without running it.
    command: bool,
}

/// Words after which the next word is a program again.
const COMMAND_SEPARATORS: [&str; 10] = [
    "&&", "||", ";", "|", "exec", "then", "do", "else", "nohup", "env",
];

const SHELLS: [&str; 5] = ["sh", "bash", "ash", "dash", "zsh"];

/// The words of the command and args, split on whitespace so that `sh -c "vllm serve ..."`
/// counts, with whether each is in the place of a program name.
fn words(container: &Container) -> Vec<Word<'_>> {
    let parts = container
        .command
        .iter()
        .flatten()
        .chain(container.args.iter().flatten());
    let mut out = Vec::new();
    let mut next_is_command = true;
    let mut shell = false;
    for raw in parts.flat_map(|part| part.split_whitespace()) {
        let text = raw.rsplit('/').next().unwrap_or(raw);
        let command = next_is_command;
        if command {
            shell = SHELLS.contains(&text);
        }
        // `FOO=bar vllm serve`: an assignment keeps the program name to come.
        let assignment = command && raw.contains('=') && !raw.starts_with('-');
        let shell_c = shell && raw.starts_with('-') && !raw.starts_with("--") && raw.contains('c');
        next_is_command =
            assignment || shell_c || COMMAND_SEPARATORS.contains(&raw) || raw.ends_with([';', '&']);
        out.push(Word { text, command });
    }
    out
}

fn from_command(container: &Container) -> Option<Framework> {
    let words = words(container);
    let module = |name: &str| {
        words.windows(2).any(|w| {
            w[0].text == "-m"
                && (w[1].text == name
                    || w[1]
                        .text
                        .strip_prefix(name)
                        .is_some_and(|rest| rest.starts_with('.')))
        })
    };
    let runs = |program: &str| words.iter().any(|w| w.command && w.text == program);
    let runs_with = |program: &str, sub: &[&str]| {
        words
            .windows(2)
            .any(|w| w[0].command && w[0].text == program && sub.contains(&w[1].text))
    };
    if runs("vllm") || module("vllm") {
        Some(Framework::Vllm)
    } else if runs("text-generation-launcher") {
        Some(Framework::Tgi)
    } else if runs("tritonserver") {
        Some(Framework::Triton)
    } else if runs_with("ollama", &["serve"]) {
        Some(Framework::Ollama)
    } else if runs_with("serve", &["run", "deploy", "start"]) {
        Some(Framework::RayServe)
    } else if runs("torchrun")
        || module("torch.distributed.run")
        || module("torch.distributed.launch")
    {
        Some(Framework::PyTorch)
    } else if runs("deepspeed") {
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
            ("rocm/vllm:latest", Some(Framework::Vllm)),
            ("ghcr.io/acme/vllm-router:0.1", None),
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
        assert_eq!(
            recognized(&["python", "app.py"], &["--download-dir", "/cache/vllm"]),
            None
        );
        assert_eq!(
            recognized(&["sh", "-c"], &["pip install vllm && python app.py"]),
            None
        );
        assert_eq!(recognized(&["python", "-m", "vllm_router.app"], &[]), None);
        assert_eq!(
            recognized(
                &["/bin/bash", "-lc"],
                &["pip install -U x; exec vllm serve m"]
            ),
            Some(Framework::Vllm)
        );
        assert_eq!(
            recognized(
                &["sh", "-c"],
                &["HF_HOME=/cache /usr/local/bin/vllm serve m"]
            ),
            Some(Framework::Vllm)
        );
        assert_eq!(
            recognized(
                &["python3", "-m", "vllm.entrypoints.openai.api_server"],
                &[]
            ),
            Some(Framework::Vllm)
        );
        let ray = container("rayproject/ray:2.9.0", &["serve", "run", "app:d"], &[]);
        assert_eq!(recognize(&ray), Some(Framework::RayServe));
    }
}
