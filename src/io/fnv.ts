/** 32-bit FNV-1a over bytes, as `Cpanel::Hash::get_fastest_hash` (used for long lock names). */
export function fnv1a32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
