// Random and hostile text for fuzz tests: a seeded generator (a failure can be replayed) and samples
// of what the open internet sends: control characters, RTL marks, emoji, mixed scripts, SQL and script
// injection, huge strings.
export function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

export const samples = [
  "", " ", "\u0000\u0001\u0002", "\u202e\u200b\ufeff", "😀🙏🏻👨‍👩‍👧", "𝕏𝕐ℤ", "' OR 1=1; DROP TABLE person; --", "Robert'); DROP TABLE students;--",
  "<script>alert(1)</script>", "${jndi:ldap://x}", "%s%s%s%n", "../../etc/passwd", "/", "//", "/start@", "/moi", "/xacthuc",
  "/xacthuc ' OR '1'='1", "/lienket \u0000", "/tiendo", "kích hoạt vneid", "ko nhan dc ma", "Ｆｕｌｌｗｉｄｔｈ", "ǅǆǇ", "ﷺ", "ༀ", "中文 测试",
  "русский текст", "עברית", "العربية", "1".repeat(5000), "a".repeat(100_000), "đ".repeat(3000), "\n\n\n", "\t", "0912345678",
  "001203004567", "/quyen extra args here", "/xoadulieu", "NaN", "undefined", "null", "{}", "[]", "\\", "\"", "`",
];

export function randomText(next: () => number): string {
  const kind = Math.floor(next() * 4);
  if (kind === 0) return samples[Math.floor(next() * samples.length)]!;
  const length = Math.floor(next() * (kind === 3 ? 4000 : 80));
  let out = "";
  for (let i = 0; i < length; i++) {
    const r = next();
    // Mix ASCII, Vietnamese letters, control characters, astral symbols and lone surrogates.
    const code =
      r < 0.4 ? 32 + Math.floor(next() * 95)
      : r < 0.6 ? 0x1ea0 + Math.floor(next() * 90)
      : r < 0.7 ? Math.floor(next() * 32)
      : r < 0.8 ? 0x1f600 + Math.floor(next() * 80)
      : r < 0.85 ? 0xd800 + Math.floor(next() * 0x800)
      : Math.floor(next() * 0xffff);
    out += String.fromCodePoint(code);
  }
  return out;
}

