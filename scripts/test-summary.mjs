// Sums vitest's JSON reports and names every failed test with the first line of its failure, so the last lines
// of a long CI log say what failed, not only how many.
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import process from "node:process";

let passed = 0;
let failed = 0;
const failures = [];
for (const file of process.argv.slice(2)) {
    let report;
    try {
        report = JSON.parse(readFileSync(file, "utf8"));
    } catch {
        failed += 1;
        failures.push(`${file}: no readable report (the run died before writing it)`);
        continue;
    }
    passed += report.numPassedTests ?? 0;
    // A file that failed to load counts as one failure even when no test ran.
    failed += report.numFailedTests || (report.success === false ? 1 : 0);
    for (const suite of report.testResults ?? []) {
        const where = relative(process.cwd(), suite.name ?? "");
        const failedTests = (suite.assertionResults ?? []).filter((t) => t.status === "failed");
        for (const t of failedTests) failures.push(`${where} > ${testName(t)}: ${firstLine(t.failureMessages)}`);
        if (suite.status === "failed" && failedTests.length === 0) failures.push(`${where}: ${suite.message ?? ""}`);
    }
}
for (const line of failures) process.stdout.write(`FAILED ${line}\n`);
process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);

/** "describe > test", as vitest prints it (its fullName joins them with a bare space). */
function testName(t) {
    return t.ancestorTitles?.length ? [...t.ancestorTitles, t.title].join(" > ") : t.fullName;
}

function firstLine(messages) {
    const text = (messages ?? []).join("\n").trim();
    const line = text.split("\n")[0] ?? "";
    return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}
