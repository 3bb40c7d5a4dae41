import { describe, expect, it } from "vitest";
import { whyNotPromoted } from "../../src/report/gate-explanation.js";
import { renderHtmlReport } from "../../src/report/html-report.js";
import { convergenceCell, prodResult, routing, warmupResult } from "./fake-result.js";

const summary = routing(["m-a", "m-b"], [{ cell: "x", candidate: "m-a", incumbent: "m-b" }]);
const figures = { estimator: "snips", candidateLower: 0.5, candidateValue: 0.6, incumbentValue: 0.55, effectiveSampleSize: 250, minEffectiveSampleSize: 100 };

describe("why not promoted", () => {
  it("says nothing when the run promoted", () => {
    expect(whyNotPromoted(prodResult({ routing: summary }))).toEqual([]);
    expect(renderHtmlReport(prodResult({ routing: summary }))).not.toContain('data-box="why-not-promoted"');
  });

  it("explains a candidate that is better only within the noise", () => {
    const gate = { ...figures, passed: false, reason: "does not beat" };
    const [sentence, ...rest] = whyNotPromoted(prodResult({ routing: summary, gate, incumbentVersion: 4 }));
    expect(rest).toEqual([]);
    expect(sentence).toContain("Not clearly better");
    expect(sentence).toContain("0.6000 is above the 0.5500 of the active policy (version 4)");
    expect(sentence).toContain("the low end of its 95% interval, 0.5000, is not");
  });

  it("explains a candidate that is not better at all", () => {
    const gate = { ...figures, candidateValue: 0.52, passed: false, reason: "does not beat" };
    expect(whyNotPromoted(prodResult({ routing: summary, gate }))).toEqual([
      "Not better: the candidate's SNIPS estimate 0.5200 is not above the 0.5500 of the uniform policy.",
    ]);
  });

  it("explains too little evidence, and every failed condition", () => {
    const gate = { ...figures, effectiveSampleSize: 42.25, passed: false, reason: "not enough evidence" };
    const sentences = whyNotPromoted(prodResult({ routing: summary, gate }));
    expect(sentences).toHaveLength(2);
    expect(sentences[0]).toMatch(/^Too little evidence: .* rests on 42\.3 effective requests, and the gate asks for at least 100\./);
    expect(sentences[1]).toMatch(/^Not clearly better/);
  });

  it("passes on extra reasons a gate lists, and falls back on the gate's own sentence", () => {
    const gate = { ...figures, candidateLower: 0.58, passed: false, reason: "support", reasons: ["the candidate's zero-weight share is 0.93"] };
    expect(whyNotPromoted(prodResult({ routing: summary, gate }))).toEqual(["the candidate's zero-weight share is 0.93"]);
    expect(whyNotPromoted(prodResult({ routing: summary, gate: { passed: false, reason: "some other reason" } }))).toEqual(["some other reason"]);
  });

  it("explains a failed warm-up from its match share, and stays silent on a passed one", () => {
    const cells = [convergenceCell("a:1", "m-a", "m-b"), convergenceCell("a:2", "m-a", "m-a")];
    const failed = whyNotPromoted(warmupResult(cells, summary));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/^Only 1 of 2 covered cells \(50\.0%\) choose the planted optimum; the warm-up needs 70\.0%\./);
    expect(whyNotPromoted(warmupResult(cells, summary, 0.5))).toEqual([]);
    expect(renderHtmlReport(warmupResult(cells, summary))).toContain("Why the warm-up failed");
  });

  it("appears on the page as a box", () => {
    const gate = { ...figures, passed: false, reason: "does not beat" };
    const html = renderHtmlReport(prodResult({ routing: summary, gate, incumbentVersion: 4 }));
    expect(html).toContain('<section class="box" data-box="why-not-promoted"><h2>Why not promoted</h2><p>Not clearly better');
  });
});
