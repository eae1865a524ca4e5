/** @module The real client address: the socket peer, or the forwarded address when the peer is a trusted proxy. */

interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

/** Parses an IPv4 or IPv6 address (IPv4-mapped IPv6 becomes IPv4) into bytes, or null. */
export function parseIp(text: string): Uint8Array | null {
  const address = text.trim().replace(/^\[|\]$/g, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return parseIp(mapped[1]!);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) {
    const parts = address.split(".").map(Number);
    return parts.every((part) => part <= 255) ? Uint8Array.from(parts) : null;
  }
  if (!address.includes(":")) return null;
  const [head = "", tail, ...extra] = address.split("::");
  if (extra.length) return null;
  const groups = (part: string) => (part ? part.split(":") : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  const all = [...left, ...Array<string>(missing).fill("0"), ...right];
  if (!all.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return null;
  return Uint8Array.from(all.flatMap((group) => [Number.parseInt(group, 16) >> 8, Number.parseInt(group, 16) & 255]));
}

/** Parses `a.b.c.d/n` or `v6/n` (a bare address is a single host); throws on bad input so startup fails clearly. */
export function parseCidr(text: string): Cidr {
  const [address = "", bits] = text.trim().split("/");
  const bytes = parseIp(address);
  const prefix = bits === undefined ? (bytes?.length ?? 0) * 8 : Number(bits);
  if (!bytes || !Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8) {
    throw new Error(`invalid trusted proxy CIDR "${text}"`);
  }
  return { bytes, prefix };
}

function contains(cidr: Cidr, bytes: Uint8Array): boolean {
  if (cidr.bytes.length !== bytes.length) return false;
  for (let bit = 0; bit < cidr.prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((cidr.bytes[bit >> 3]! & mask) !== (bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

/** Whether an address is a loopback address (127/8 or ::1). */
export function isLoopback(address: string): boolean {
  const bytes = parseIp(address);
  if (!bytes) return false;
  return bytes.length === 4 ? bytes[0] === 127 : bytes.every((byte, i) => byte === (i === 15 ? 1 : 0));
}

/**
 * Builds the resolver: with the peer inside a trusted CIDR, walks `X-Forwarded-For` from the right past trusted hops
 * and takes the first untrusted address (`X-Real-IP` when there is no such header); otherwise the peer itself.
 */
export function clientAddressResolver(trustedProxies: readonly string[]) {
  const trusted = trustedProxies.map(parseCidr);
  const isTrusted = (address: string) => {
    const bytes = parseIp(address);
    return bytes !== null && trusted.some((cidr) => contains(cidr, bytes));
  };
  return function clientAddress(peer: string, headers: Headers): string {
    if (!trusted.length || !isTrusted(peer)) return peer;
    const hops = (headers.get("x-forwarded-for") ?? "")
      .split(",")
      .map((hop) => hop.trim())
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (!parseIp(hop)) return peer;
      if (!isTrusted(hop)) return hop;
    }
    const real = headers.get("x-real-ip")?.trim();
    return real && parseIp(real) ? real : (hops[0] ?? peer);
  };
}
