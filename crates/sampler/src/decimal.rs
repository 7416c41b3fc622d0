//! 256-bit big-endian integers (SHA-256 digests) to decimal, without a
//! big-integer dependency. This is on the hot path of every ticket.

/// 10^9: dividing 32-bit limbs by it needs only `u64` arithmetic by a
/// constant, which compiles to multiplications.
const TEN_9: u64 = 1_000_000_000;

/// Maximum number of decimal digits of a 256-bit integer (2^256 ≈ 1.16e77).
pub(crate) const MAX_DIGITS: usize = 78;

/// Split a 32-byte big-endian number into eight big-endian `u32` limbs.
fn limbs(bytes: &[u8; 32]) -> [u32; 8] {
    let mut out = [0u32; 8];
    for (limb, chunk) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        *limb = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    out
}

/// Divide the limbs in place by 10^9, returning the remainder.
fn div_rem_1e9(l: &mut [u32; 8]) -> u32 {
    let mut rem: u64 = 0;
    for limb in l.iter_mut() {
        let cur = (rem << 32) | u64::from(*limb);
        // rem < 10^9 < 2^32, so the quotient fits in 32 bits.
        *limb = (cur / TEN_9) as u32;
        rem = cur % TEN_9;
    }
    rem as u32
}

/// Write the decimal digits of the 256-bit number, **least significant
/// first**, padded with zeros to at least `min_len` digits, into `out`
/// (ASCII). Returns the number of digits written (≤ 78).
///
/// Least-significant-first is exactly the reversed, zero-padded form the
/// consistent sampler uses after `"0."`.
pub(crate) fn reversed_digits(
    bytes: &[u8; 32],
    min_len: usize,
    out: &mut [u8; MAX_DIGITS],
) -> usize {
    let mut l = limbs(bytes);
    let mut n = 0;
    // Nine chunks of 9 digits cover 81 ≥ 78 digits.
    for _ in 0..9 {
        let mut chunk = div_rem_1e9(&mut l);
        for _ in 0..9 {
            if n == MAX_DIGITS {
                break;
            }
            out[n] = b'0' + (chunk % 10) as u8;
            chunk /= 10;
            n += 1;
        }
    }
    // Drop leading zeros of the number (trailing in reversed form), keep min_len.
    let min_len = min_len.min(MAX_DIGITS);
    while n > min_len && out[n - 1] == b'0' {
        n -= 1;
    }
    n
}

/// The 256-bit number modulo `m`, for `0 < m <= 2^64` (Horner's rule byte
/// by byte; `r * 256 + b < 2^72` never overflows).
pub(crate) fn mod_small(bytes: &[u8; 32], m: u128) -> u128 {
    let mut r: u128 = 0;
    for &b in bytes {
        r = ((r << 8) | u128::from(b)) % m;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_decimal(bytes: &[u8; 32]) -> String {
        let mut buf = [0u8; MAX_DIGITS];
        let n = reversed_digits(bytes, 1, &mut buf);
        buf[..n].iter().rev().map(|&c| c as char).collect()
    }

    #[test]
    fn small_and_max_values() {
        let mut b = [0u8; 32];
        assert_eq!(to_decimal(&b), "0");
        b[31] = 123;
        assert_eq!(to_decimal(&b), "123");
        b[30] = 1;
        assert_eq!(to_decimal(&b), "379");
        let max = [0xffu8; 32];
        assert_eq!(
            to_decimal(&max),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        );
    }

    #[test]
    fn padding() {
        let mut b = [0u8; 32];
        b[31] = 7;
        let mut buf = [0u8; MAX_DIGITS];
        let n = reversed_digits(&b, 64, &mut buf);
        assert_eq!(n, 64);
        assert_eq!(buf[0], b'7');
        assert!(buf[1..64].iter().all(|&c| c == b'0'));
    }

    #[test]
    fn modulo() {
        let max = [0xffu8; 32];
        // 2^256 - 1 = ...639935
        assert_eq!(mod_small(&max, 1000), 935);
        assert_eq!(mod_small(&max, 1), 0);
        // 2^64 divides 2^256, so 2^256 - 1 mod 2^64 = 2^64 - 1.
        assert_eq!(mod_small(&max, 1u128 << 64), (1u128 << 64) - 1);
        // 2^256 - 1 is divisible by 2^32 - 1 and 2^64 - 1.
        assert_eq!(mod_small(&max, (1u128 << 32) - 1), 0);
        assert_eq!(mod_small(&max, u128::from(u64::MAX)), 0);
    }
}
