//! Runtime choice of the instruction set: one `detect()` at first use, cached
//! in a `OnceLock`, overridable with the `QMTL_ISA` environment variable.
//!
//! Every instruction set has a [`Kernels`] table of unchecked entry points; the
//! table's safe methods check shapes before calling them, and a table is only
//! handed out for an instruction set the running CPU supports, which is what
//! makes the `#[target_feature]` kernels sound to call.

use crate::{kernel_fallback, Mat, MatMut, Unary};
use std::fmt;
use std::sync::OnceLock;

/// The instruction sets this crate has f32 kernels for, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// AVX-512F (16 f32 lanes, masked loads and stores for the edges).
    Avx512,
    /// AVX2 with FMA3 (8 f32 lanes).
    Avx2Fma,
    /// Plain Rust written for the compiler to autovectorise (any CPU).
    Fallback,
}

impl Isa {
    /// Every instruction set, best first.
    pub const ALL: [Isa; 3] = [Isa::Avx512, Isa::Avx2Fma, Isa::Fallback];

    /// The name `QMTL_ISA` accepts for this instruction set.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2Fma => "avx2",
            Isa::Fallback => "fallback",
        }
    }

    /// Parses a `QMTL_ISA` value (case-insensitive; `avx2fma` is also accepted).
    pub fn parse(s: &str) -> Option<Isa> {
        match s.trim().to_ascii_lowercase().as_str() {
            "avx512" | "avx512f" => Some(Isa::Avx512),
            "avx2" | "avx2fma" | "avx2+fma" => Some(Isa::Avx2Fma),
            "fallback" | "generic" | "scalar" => Some(Isa::Fallback),
            _ => None,
        }
    }

    /// True when the running CPU has every feature this instruction set needs.
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Fallback => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The instruction sets the running CPU supports, best first (never empty:
/// [`Isa::Fallback`] runs everywhere).
pub fn supported_isas() -> Vec<Isa> {
    Isa::ALL
        .into_iter()
        .filter(|isa| isa.is_supported())
        .collect()
}

/// The environment variable that forces an instruction set.
pub const ISA_ENV: &str = "QMTL_ISA";

/// Resolves a `QMTL_ISA` value against the supported instruction sets (best
/// first). Unset, empty or `auto` picks the best; a name the CPU lacks or an
/// unknown name also picks the best, with the warning to print.
pub fn resolve_isa(requested: Option<&str>, supported: &[Isa]) -> (Isa, Option<String>) {
    let best = supported.first().copied().unwrap_or(Isa::Fallback);
    let Some(raw) = requested.map(str::trim).filter(|s| !s.is_empty()) else {
        return (best, None);
    };
    if raw.eq_ignore_ascii_case("auto") {
        return (best, None);
    }
    match Isa::parse(raw) {
        Some(isa) if supported.contains(&isa) => (isa, None),
        Some(isa) => (
            best,
            Some(format!(
                "{ISA_ENV}={raw} asks for {isa}, which this CPU does not support; using {best}"
            )),
        ),
        None => (
            best,
            Some(format!(
                "{ISA_ENV}={raw} is not one of avx512|avx2|fallback|auto; using {best}"
            )),
        ),
    }
}

/// Picks the instruction set once per process (see the crate docs for the rules).
fn detect() -> Isa {
    let requested = std::env::var(ISA_ENV).ok();
    let (isa, warning) = resolve_isa(requested.as_deref(), &supported_isas());
    if let Some(warning) = warning {
        eprintln!("qmtl: warning: {warning}");
    }
    isa
}

/// The instruction set the f32 kernels of this process run on, chosen once.
pub fn isa() -> Isa {
    static ACTIVE: OnceLock<Isa> = OnceLock::new();
    *ACTIVE.get_or_init(detect)
}

/// The kernel table of `isa`, or `None` when the running CPU lacks it.
///
/// This is how tests and benchmarks run every instruction set in one process;
/// the crate-level functions use `kernels(isa())`.
pub fn kernels(isa: Isa) -> Option<&'static Kernels> {
    if !isa.is_supported() {
        return None;
    }
    match isa {
        Isa::Fallback => Some(&kernel_fallback::KERNELS),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => Some(&crate::kernel_avx512::KERNELS),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma => Some(&crate::kernel_avx2fma::KERNELS),
        #[cfg(not(target_arch = "x86_64"))]
        _ => None,
    }
}

/// The table of the active instruction set.
pub(crate) fn active() -> &'static Kernels {
    kernels(isa()).expect("the active instruction set is always supported")
}

/// `C = αAB + βC` with shapes checked by the caller and views that are in bounds.
pub(crate) type GemmFn = unsafe fn(f32, Mat<'_, f32>, Mat<'_, f32>, f32, MatMut<'_, f32>);
/// `y = αAx + βy` with `len(x) == cols`, `len(y) == rows`.
pub(crate) type GemvFn = unsafe fn(f32, Mat<'_, f32>, &[f32], f32, &mut [f32]);
/// `A += αxyᵀ` with `len(x) == rows`, `len(y) == cols`.
pub(crate) type GerFn = unsafe fn(f32, &[f32], &[f32], MatMut<'_, f32>);

/// One instruction set's f32 kernels. The fields are unchecked and need the
/// CPU feature; the methods check shapes and are what callers use.
pub struct Kernels {
    pub(crate) isa: Isa,
    pub(crate) gemm: GemmFn,
    pub(crate) gemv: GemvFn,
    pub(crate) ger: GerFn,
    /// `y += αx`, equal lengths.
    pub(crate) axpy: unsafe fn(f32, &[f32], &mut [f32]),
    /// `Σxy`, equal lengths.
    pub(crate) dot: unsafe fn(&[f32], &[f32]) -> f32,
    pub(crate) scale: unsafe fn(f32, &mut [f32]),
    /// `y = f(x)`, equal lengths.
    pub(crate) unary: unsafe fn(Unary, &[f32], &mut [f32]),
    pub(crate) unary_inplace: unsafe fn(Unary, &mut [f32]),
    /// Equal lengths.
    pub(crate) softmax: unsafe fn(&[f32], &mut [f32]),
    /// Equal lengths.
    pub(crate) log_softmax: unsafe fn(&[f32], &mut [f32]),
    /// `out[k] = σ·z(seed, offset + k)`; `offset + len(out)` fits in a `u64`.
    pub(crate) normal_fill: unsafe fn(u64, u64, f32, &mut [f32]),
}

// SAFETY (for every `unsafe` call below): a `&Kernels` only exists for an
// instruction set the CPU supports (`kernels` checks), and each method checks
// the shapes the entry point relies on first.
impl Kernels {
    /// The instruction set these kernels need.
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// Same as [`crate::gemm`] on this instruction set.
    pub fn gemm(
        &self,
        alpha: f32,
        a: Mat<'_, f32>,
        b: Mat<'_, f32>,
        beta: f32,
        c: MatMut<'_, f32>,
    ) {
        crate::check::gemm(&a, &b, &c);
        // SAFETY: see the impl comment: supported ISA, shapes checked above.
        unsafe { (self.gemm)(alpha, a, b, beta, c) }
    }

    /// Same as [`crate::gemv`] on this instruction set.
    pub fn gemv(&self, alpha: f32, a: Mat<'_, f32>, x: &[f32], beta: f32, y: &mut [f32]) {
        crate::check::gemv(&a, x, y);
        // SAFETY: supported ISA, shapes checked above.
        unsafe { (self.gemv)(alpha, a, x, beta, y) }
    }

    /// Same as [`crate::ger`] on this instruction set.
    pub fn ger(&self, alpha: f32, x: &[f32], y: &[f32], a: MatMut<'_, f32>) {
        crate::check::ger(x, y, &a);
        // SAFETY: supported ISA, shapes checked above.
        unsafe { (self.ger)(alpha, x, y, a) }
    }

    /// Same as [`crate::axpy`] on this instruction set.
    pub fn axpy(&self, alpha: f32, x: &[f32], y: &mut [f32]) {
        crate::check::same_len("axpy", x.len(), y.len());
        // SAFETY: supported ISA, lengths checked above.
        unsafe { (self.axpy)(alpha, x, y) }
    }

    /// Same as [`crate::dot`] on this instruction set.
    pub fn dot(&self, x: &[f32], y: &[f32]) -> f32 {
        crate::check::same_len("dot", x.len(), y.len());
        // SAFETY: supported ISA, lengths checked above.
        unsafe { (self.dot)(x, y) }
    }

    /// Same as [`crate::scale`] on this instruction set.
    pub fn scale(&self, alpha: f32, x: &mut [f32]) {
        // SAFETY: supported ISA; one slice, nothing to check.
        unsafe { (self.scale)(alpha, x) }
    }

    /// Same as [`crate::unary`] on this instruction set.
    pub fn unary(&self, f: Unary, x: &[f32], y: &mut [f32]) {
        crate::check::same_len("unary", x.len(), y.len());
        // SAFETY: supported ISA, lengths checked above.
        unsafe { (self.unary)(f, x, y) }
    }

    /// Same as [`crate::unary_inplace`] on this instruction set.
    pub fn unary_inplace(&self, f: Unary, x: &mut [f32]) {
        // SAFETY: supported ISA; one slice, nothing to check.
        unsafe { (self.unary_inplace)(f, x) }
    }

    /// Same as [`crate::softmax`] on this instruction set.
    pub fn softmax(&self, x: &[f32], y: &mut [f32]) {
        crate::check::same_len("softmax", x.len(), y.len());
        // SAFETY: supported ISA, lengths checked above.
        unsafe { (self.softmax)(x, y) }
    }

    /// Same as [`crate::log_softmax`] on this instruction set.
    pub fn log_softmax(&self, x: &[f32], y: &mut [f32]) {
        crate::check::same_len("log_softmax", x.len(), y.len());
        // SAFETY: supported ISA, lengths checked above.
        unsafe { (self.log_softmax)(x, y) }
    }

    /// Same as [`crate::normal_fill`] on this instruction set.
    pub fn normal_fill(&self, seed: u64, sigma: f32, out: &mut [f32]) {
        self.normal_fill_at(seed, 0, sigma, out)
    }

    /// Same as [`crate::normal_fill_at`] on this instruction set.
    pub fn normal_fill_at(&self, seed: u64, offset: u64, sigma: f32, out: &mut [f32]) {
        crate::normal::check_range(offset, out.len());
        // SAFETY: supported ISA, index range checked above.
        unsafe { (self.normal_fill)(seed, offset, sigma, out) }
    }
}

impl fmt::Debug for Kernels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kernels({})", self.isa)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_the_documented_names() {
        assert_eq!(Isa::parse("avx512"), Some(Isa::Avx512));
        assert_eq!(Isa::parse("AVX2"), Some(Isa::Avx2Fma));
        assert_eq!(Isa::parse(" fallback "), Some(Isa::Fallback));
        assert_eq!(Isa::parse("sse9"), None);
        for isa in Isa::ALL {
            assert_eq!(Isa::parse(isa.name()), Some(isa));
        }
    }

    #[test]
    fn resolve_follows_the_env_rules() {
        let all = Isa::ALL;
        let no512 = [Isa::Avx2Fma, Isa::Fallback];
        assert_eq!(resolve_isa(None, &all), (Isa::Avx512, None));
        assert_eq!(resolve_isa(Some(""), &all), (Isa::Avx512, None));
        assert_eq!(resolve_isa(Some("auto"), &no512), (Isa::Avx2Fma, None));
        assert_eq!(resolve_isa(Some("fallback"), &all), (Isa::Fallback, None));
        assert_eq!(resolve_isa(Some("avx2"), &all), (Isa::Avx2Fma, None));
        // Asking for what the CPU lacks must never select it.
        let (isa, warning) = resolve_isa(Some("avx512"), &no512);
        assert_eq!(isa, Isa::Avx2Fma);
        assert!(warning.unwrap().contains("does not support"));
        let (isa, warning) = resolve_isa(Some("neon"), &no512);
        assert_eq!(isa, Isa::Avx2Fma);
        assert!(warning.unwrap().contains("not one of"));
    }

    #[test]
    fn fallback_is_always_supported_and_listed_last() {
        let isas = supported_isas();
        assert_eq!(isas.last(), Some(&Isa::Fallback));
        assert!(kernels(Isa::Fallback).is_some());
        for isa in Isa::ALL {
            assert_eq!(kernels(isa).is_some(), isas.contains(&isa));
        }
    }
}
