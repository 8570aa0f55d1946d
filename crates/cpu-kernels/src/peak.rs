//! The f32 FMA peak of one core, measured: a tight loop of independent vector
//! FMAs, many more chains than the FMA latency times the number of FMA pipes
//! (Zen 3: 4 cycles × 2 pipes = 8 chains of 8 lanes; Skylake-X: 4 × 2 of 16),
//! so the loop runs at the pipes' throughput. `benches/kernels.rs` reports
//! every kernel's GFLOP/s beside it.

use crate::Isa;

/// Independent accumulator chains per loop turn.
const CHAINS: usize = 12;

/// Runs `turns` turns of `CHAINS` independent vector FMAs on `isa` and
/// returns the FLOPs done (2 per lane per FMA) and a value that depends on
/// every FMA (so none can be optimised away). `None` for an instruction set
/// without vector FMA (the portable fallback) or one the CPU lacks.
pub fn fma_loop(isa: Isa, turns: u64) -> Option<(u64, f32)> {
    if !isa.is_supported() {
        return None;
    }
    let lanes: u64 = match isa {
        Isa::Avx512 => 16,
        Isa::Avx2Fma => 8,
        Isa::Fallback => return None,
    };
    let flops = turns * CHAINS as u64 * lanes * 2;
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: the CPU has the instruction set (checked above).
        let v = unsafe {
            match isa {
                Isa::Avx512 => x86::avx512(turns),
                _ => x86::avx2(turns),
            }
        };
        Some((flops, v))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = flops;
        None
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::CHAINS;
    use std::arch::x86_64::*;

    /// `acc ← acc·a + b` converges to `b / (1 − a)`: no overflow, no denormals.
    const A: f32 = 0.999_999;
    const B: f32 = 1e-6;

    /// # Safety
    /// The CPU has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn avx2(turns: u64) -> f32 {
        let (a, b) = (_mm256_set1_ps(A), _mm256_set1_ps(B));
        let mut acc = [_mm256_setzero_ps(); CHAINS];
        for _ in 0..turns {
            for v in &mut acc {
                *v = _mm256_fmadd_ps(*v, a, b);
            }
        }
        let mut s = _mm256_setzero_ps();
        for v in acc {
            s = _mm256_add_ps(s, v);
        }
        let mut out = [0f32; 8];
        _mm256_storeu_ps(out.as_mut_ptr(), s);
        out.iter().sum()
    }

    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn avx512(turns: u64) -> f32 {
        let (a, b) = (_mm512_set1_ps(A), _mm512_set1_ps(B));
        let mut acc = [_mm512_setzero_ps(); CHAINS];
        for _ in 0..turns {
            for v in &mut acc {
                *v = _mm512_fmadd_ps(*v, a, b);
            }
        }
        let mut s = _mm512_setzero_ps();
        for v in acc {
            s = _mm512_add_ps(s, v);
        }
        _mm512_reduce_add_ps(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every supported vector set runs the loop and computes what the scalar
    /// recurrence gives (the loop really does the FMAs); the fallback has none.
    #[test]
    fn fma_loop_computes_the_recurrence_on_every_supported_set() {
        let turns = 1000;
        let mut x = 0f64;
        for _ in 0..turns {
            x = x * 0.999_999f32 as f64 + 1e-6f32 as f64;
        }
        assert_eq!(fma_loop(Isa::Fallback, turns), None);
        for isa in [Isa::Avx512, Isa::Avx2Fma] {
            match fma_loop(isa, turns) {
                None => eprintln!("fma_loop test skipped on {isa}: the CPU lacks it"),
                Some((flops, v)) => {
                    let lanes = if isa == Isa::Avx512 { 16 } else { 8 };
                    assert_eq!(flops, turns * (CHAINS * lanes * 2) as u64);
                    let expect = x * (CHAINS * lanes) as f64;
                    assert!(
                        (v as f64 - expect).abs() < 1e-4 * expect,
                        "{isa}: {v} against {expect}"
                    );
                }
            }
        }
    }
}
