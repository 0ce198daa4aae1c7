import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { quote, sh, raw } from "../../provider/remote/sh";

const hostile = [
    "plain",
    "with space",
    "it's",
    "'; rm -rf / #",
    "$(touch /tmp/pwned)",
    "`id`",
    "a\nb",
    "%{GLOBAL}",
    "ünïcødé",
    "\\back\\slash",
    "x".repeat(100_000),
    "",
];

describe("sh quoting", () => {
    it.each(hostile.map((h) => [h.slice(0, 20), h]))(
        "round-trips %j through a real /bin/sh as one word",
        (_, value) => {
            const out = execFileSync("/bin/sh", ["-c", `printf '%s' ${quote(value)}`]).toString();
            expect(out).toBe(value);
        },
    );

    it("quotes every interpolated value and expands arrays to words", () => {
        expect(sh`ls ${"a b"} ${["c", "d'e"]}`).toBe(`ls 'a b' 'c' 'd'\\''e'`);
    });

    it("passes raw text through untouched", () => {
        expect(sh`echo ${raw("$HOME")}`).toBe("echo $HOME");
    });

    it("refuses undefined and NUL bytes", () => {
        expect(() => sh`echo ${undefined as unknown as string}`).toThrow(/undefined/);
        expect(() => quote("a\0b")).toThrow(/NUL/);
    });
});
