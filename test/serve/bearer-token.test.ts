import { expect, it } from "vitest";
import { bearerTokenCheck } from "../../src/serve/bearer-token.js";

it("accepts exactly the token, whatever was checked before it (no leftover of a correct token lets a prefix through)", () => {
  const check = bearerTokenCheck("s3cret-token");
  expect(check("Bearer s3cret-token")).toBe(true);
  expect(check("bearer   s3cret-token  ")).toBe(true);
  // Right after the correct token: its prefix, its extension, one byte changed, and no header at all.
  for (const header of ["Bearer s3cret-toke", "Bearer s3cret-token2", "Bearer s3cret-tokem", "Bearer ", undefined]) {
    expect(check("Bearer s3cret-token")).toBe(true);
    expect(check(header)).toBe(false);
  }
  expect(check("Basic s3cret-token")).toBe(false);
  expect(check("s3cret-token")).toBe(false);
  expect(check(`Bearer ${"x".repeat(5000)}`)).toBe(false);
});

it("handles tokens longer than its buffer and multi-byte characters", () => {
  const long = "é".repeat(800);
  const check = bearerTokenCheck(long);
  expect(check(`Bearer ${long}`)).toBe(true);
  expect(check(`Bearer ${long}é`)).toBe(false);
  expect(check(`Bearer ${long.slice(1)}`)).toBe(false);
});
