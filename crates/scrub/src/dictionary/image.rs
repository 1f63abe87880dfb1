//! Image references. The registry host stays when it is public (`ghcr.io`); the organisation and
//! repository are scrubbed (`ghcr.io/image-1:1.4`); digests become `digest-N`; official images
//! (`nginx:1.27`, `postgres:16`) and the images of public registries such as `registry.k8s.io`
//! stay whole, by an explicit allow-list.

use super::DictionaryBuilder;
use crate::Category;
use crate::vocab::vocabulary;

/// The parts of an image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// `ghcr.io`, `registry.acme.internal:5000`; `None` for Docker Hub short names.
    pub(crate) registry: Option<&'a str>,
    /// `acme/payments-api`, `nginx`.
    pub(crate) path: &'a str,
    pub(crate) tag: Option<&'a str>,
    /// `sha256:...`.
    pub(crate) digest: Option<&'a str>,
}

/// Splits an image reference; `docker-pullable://` and similar prefixes of image ids are dropped.
pub(crate) fn parse(image: &str) -> Option<ImageRef<'_>> {
    let image = image
        .split_once("://")
        .map_or(image, |(_, rest)| rest)
        .trim();
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (rest, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    let (registry, path) = match rest.split_once('/') {
        Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => {
            (Some(first), path)
        }
        _ => (None, rest),
    };
    (!path.is_empty()).then_some(ImageRef {
        registry,
        path,
        tag,
        digest,
    })
}

/// Adds the names in an image reference: a private registry host, the repository path, its
/// organisation and last segment, and the digest.
pub(super) fn register(b: &mut DictionaryBuilder, image: &str) {
    // Pods repeat their template's images: look at each once.
    if image.is_empty() || b.images.contains(image) {
        return;
    }
    b.images.insert(image.into());
    let Some(image) = parse(image) else { return };
    let v = vocabulary();
    if let Some(digest) = image.digest {
        b.add(digest, Category::Digest);
    }
    if let Some(registry) = image.registry {
        if v.is_kept_registry(registry) {
            return;
        }
        if !v.is_public_host(registry) {
            b.add(registry, Category::Host);
            if let Some((host, _port)) = registry.split_once(':') {
                b.add(host, Category::Host);
            }
        }
    }
    let path = image.path.strip_prefix("library/").unwrap_or(image.path);
    if v.is_official_image(path) {
        return;
    }
    b.add(path, Category::Image);
    if let Some((org, rest)) = path.split_once('/') {
        if !v.is_official_image(org) {
            b.add(org, Category::Org);
        }
        let last = rest.rsplit('/').next().unwrap_or(rest);
        b.add(last, Category::Image);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_registry_path_tag_and_digest() {
        let image = parse("ghcr.io/acme/payments-api:1.4.2@sha256:abcd").unwrap();
        assert_eq!(image.registry, Some("ghcr.io"));
        assert_eq!(image.path, "acme/payments-api");
        assert_eq!(image.tag, Some("1.4.2"));
        assert_eq!(image.digest, Some("sha256:abcd"));
        let image = parse("registry.acme.internal:5000/team/app").unwrap();
        assert_eq!(image.registry, Some("registry.acme.internal:5000"));
        assert_eq!((image.path, image.tag), ("team/app", None));
        let image = parse("nginx:1.27").unwrap();
        assert_eq!((image.registry, image.path), (None, "nginx"));
        let image = parse("docker-pullable://acme/api@sha256:ff").unwrap();
        assert_eq!((image.path, image.digest), ("acme/api", Some("sha256:ff")));
    }

    #[test]
    fn official_and_kubernetes_images_are_kept_private_ones_are_names() {
        let mut b = DictionaryBuilder::new();
        for image in [
            "nginx:1.27",
            "docker.io/library/postgres:16",
            "registry.k8s.io/ingress-nginx/controller:v1.10",
            "ghcr.io/acme/payments-api:1.4",
            "registry.acme.internal:5000/team/ledger@sha256:0123456789abcdef0123456789abcdef",
        ] {
            register(&mut b, image);
        }
        let d = b.build().unwrap();
        for kept in ["nginx", "postgres", "ingress-nginx/controller", "ghcr.io"] {
            assert!(!d.contains(kept), "{kept}");
        }
        for name in [
            "acme/payments-api",
            "acme",
            "payments-api",
            "registry.acme.internal:5000",
            "registry.acme.internal",
            "team/ledger",
            "sha256:0123456789abcdef0123456789abcdef",
        ] {
            assert!(d.contains(name), "{name}");
        }
    }
}
