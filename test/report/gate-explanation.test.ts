import { describe, expect, it } from "vitest";
import { whyNotPromoted } from "../../src/report/gate-explanation.js";
import { gateFigures } from "../../src/report/gate-figures.js";
import { renderHtmlReport } from "../../src/report/html-report.js";
import { convergenceCell, prodResult, routing, warmupResult } from "./fake-result.js";

const summary = routing(["m-a", "m-b"], [{ cell: "x", candidate: "m-a", incumbent: "m-b" }]);
const figures = {
  estimator: "snips",
  candidateLower: 0.5,
  candidateValue: 0.6,
  incumbentValue: 0.55,
  effectiveSampleSize: 250,
  minEffectiveSampleSize: 100,
};

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
    expect(sentences[0]).toMatch(
      /^Too little evidence: .* rests on 42\.3 effective requests, and the gate asks for at least 100\./,
    );
    expect(sentences[1]).toMatch(/^Not clearly better/);
  });

  it("passes on extra reasons a gate lists, and falls back on the gate's own sentence", () => {
    const gate = {
      ...figures,
      candidateLower: 0.58,
      passed: false,
      reason: "support",
      reasons: ["the candidate's zero-weight share is 0.93"],
    };
    expect(whyNotPromoted(prodResult({ routing: summary, gate }))).toEqual([
      "the candidate's zero-weight share is 0.93",
    ]);
    expect(
      whyNotPromoted(prodResult({ routing: summary, gate: { passed: false, reason: "some other reason" } })),
    ).toEqual(["some other reason"]);
  });

  it("explains a failed warm-up from its match share, and stays silent on a passed one", () => {
    const cells = [convergenceCell("a:1", "m-a", "m-b"), convergenceCell("a:2", "m-a", "m-a")];
    const failed = whyNotPromoted(warmupResult(cells, summary));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(
      /^Only 1 of 2 covered cells \(50\.0%\) choose the planted optimum; the warm-up needs 70\.0%\./,
    );
    expect(whyNotPromoted(warmupResult(cells, summary, 0.5))).toEqual([]);
    expect(renderHtmlReport(warmupResult(cells, summary))).toContain("Why the warm-up failed");
  });

  it("explains a warm-up that failed on too few covered cells or an incomplete fit", () => {
    const cells = [convergenceCell("a:1", "m-a", "m-a")];
    const result = warmupResult(cells, summary);
    const convergence = {
      ...result.convergence,
      pass: false,
      minCoveredCells: 30,
      completeness: { loggedRows: 1000, fittedRows: 990, mismatches: 4, complete: false },
    };
    const sentences = whyNotPromoted({ ...result, convergence, gate: { passed: false, reason: "failed" } });
    expect(sentences).toHaveLength(2);
    expect(sentences[0]).toMatch(
      /^Too few cells to grade: 1 are covered \(≥ 20 rows, ≥ 2 of every model\), the gate needs 30\./,
    );
    expect(sentences[1]).toMatch(
      /^The fit is incomplete: the engine holds 990 of the 1000 logged rows, and 4 \(cell, model\) counts differ/,
    );
    // A failure the report cannot name is restated in the gate's own words.
    expect(whyNotPromoted({ ...result, gate: { passed: false, reason: "relative regret 0.09 above 0.07" } })).toEqual([
      "relative regret 0.09 above 0.07",
    ]);
  });

  it("appears on the page as a box", () => {
    const gate = { ...figures, passed: false, reason: "does not beat" };
    const html = renderHtmlReport(prodResult({ routing: summary, gate, incumbentVersion: 4 }));
    expect(html).toContain(
      '<section class="box" data-box="why-not-promoted"><h2>Why not promoted</h2><p>Not clearly better',
    );
  });
});

describe("why not promoted, paired support-aware gate", () => {
  const support = {
    meanWeight: 1.01,
    meanWeightStandardError: 0.02,
    meanWeightZ: 0.5,
    zeroWeightShare: 0.7,
    expectedZeroWeightShare: 0.69,
    zeroWeightExcessZ: 0.4,
    unsupportedEvents: 0,
    effectiveSampleSize: 300,
    events: 1000,
  };
  const paired = {
    passed: false,
    reason: "the 97.5% lower bound on Δ ... not above the margin 0",
    estimator: "snips",
    alpha: 0.025,
    method: "studentized",
    margin: 0,
    difference: 0.012,
    lowerBound: -0.004,
    standardError: 0.008,
    candidateValue: 0.532,
    incumbentValue: 0.52,
    minEffectiveSampleSize: 100,
    support: {
      critical: 3.29,
      logging: { events: 1000, deterministicShare: 0, minPropensity: 0.05 },
      informative: { events: 240, candidateEffectiveSampleSize: 80, incumbentEffectiveSampleSize: 75 },
      minInformativeEffectiveSampleSize: 20,
      candidate: support,
      incumbent: support,
      problems: [],
    },
  };

  it("explains a gain within the noise from the lower bound on Δ and the margin", () => {
    expect(whyNotPromoted(prodResult({ routing: summary, gate: paired, incumbentVersion: 2 }))).toEqual([
      "Not clearly better: the candidate's estimated gain over the active policy (version 2) is +0.0120 (SNIPS 0.5320 against 0.5200), " +
        "but the 97.5% lower bound on that gain is -0.0040, not above the margin 0: the gain could be noise.",
    ]);
    const worse = { ...paired, difference: -0.01, lowerBound: -0.03 };
    expect(whyNotPromoted(prodResult({ routing: summary, gate: worse }))[0]).toMatch(
      /^Not better: the candidate's estimated gain over the uniform policy is -0\.0100/,
    );
  });

  it("explains each failed support check in words, instead of the bound", () => {
    const unsupported = {
      ...paired,
      support: {
        ...paired.support,
        logging: { events: 1000, deterministicShare: 1, minPropensity: 1 },
        candidate: {
          ...support,
          meanWeight: 0.62,
          meanWeightZ: -9,
          zeroWeightShare: 0.5,
          expectedZeroWeightShare: 0.1,
          zeroWeightExcessZ: 12,
          effectiveSampleSize: 40,
        },
        informative: { events: 30, candidateEffectiveSampleSize: 6.5, incumbentEffectiveSampleSize: 9 },
      },
    };
    const sentences = whyNotPromoted(prodResult({ routing: summary, gate: unsupported, incumbentVersion: 2 }));
    expect(sentences.map((s) => s.slice(0, 40))).toEqual([
      "The log cannot judge a new policy: all 1",
      "The log barely covers the candidate's ch",
      "The candidate disagrees with the logged ",
      "Too little evidence about the candidate:",
      "Too little evidence about the difference",
    ]);
    expect(sentences[1]).toContain("mean importance weight is 0.620 (±0.020)");
    expect(sentences[2]).toContain(
      "on 50.0% of requests, where the logging policy's own propensities allow only 10.0%",
    );
    expect(sentences[3]).toContain("the equivalent of 40.0 requests routed its way; the gate asks for 100");
    expect(sentences[4]).toContain(
      "route 30 held-out requests differently, worth 6.5 (candidate) and 9.0 (incumbent) effective requests; the gate asks for 20",
    );
  });

  it("names the incumbent when it is the one the log does not support, and reads JSON's null for non-finite figures", () => {
    const gate = {
      ...paired,
      support: {
        ...paired.support,
        incumbent: { ...support, meanWeightZ: null, zeroWeightExcessZ: null, effectiveSampleSize: 12 },
      },
    };
    expect(whyNotPromoted(prodResult({ routing: summary, gate, incumbentVersion: 5 }))).toEqual([
      "Too little evidence about the active policy (version 5): the log holds the equivalent of 12.0 requests routed its way; the gate " +
        "asks for 100.",
    ]);
  });

  it("restates the gate's own sentence when there was nothing to compare", () => {
    const nothing = {
      ...paired,
      support: null,
      difference: null,
      lowerBound: null,
      reason: "nothing to compare: no held-out row is newer than the incumbent's training",
    };
    expect(whyNotPromoted(prodResult({ routing: summary, gate: nothing }))).toEqual([nothing.reason]);
  });
});

describe("gate figures", () => {
  it("tabulate the paired gate's support checks per policy, failed checks marked", () => {
    const support = {
      meanWeight: 1.01,
      meanWeightStandardError: 0.02,
      meanWeightZ: 0.5,
      zeroWeightShare: 0.7,
      expectedZeroWeightShare: 0.69,
      zeroWeightExcessZ: 0.4,
      effectiveSampleSize: 300,
    };
    const gate = {
      passed: false,
      reason: "refused",
      estimator: "snips",
      alpha: 0.025,
      method: "studentized",
      margin: 0,
      difference: 0.01,
      lowerBound: -0.002,
      standardError: 0.006,
      candidateValue: 0.53,
      incumbentValue: 0.52,
      minEffectiveSampleSize: 100,
      support: {
        critical: 3.29,
        logging: { events: 900, deterministicShare: 0, minPropensity: 0.05 },
        informative: { events: 200, candidateEffectiveSampleSize: 60, incumbentEffectiveSampleSize: 12 },
        minInformativeEffectiveSampleSize: 20,
        candidate: { ...support, meanWeightZ: -5 },
        incumbent: support,
        problems: [],
      },
    };
    // HTML: any run of white space reads as one space.
    const html = gateFigures(prodResult({ routing: summary, gate, incumbentVersion: 1 })).replace(/\s+/g, " ");
    expect(html).toContain("estimated gain Δ = 0.0100");
    expect(html).toContain("97.5% lower bound -0.0020 against the margin 0");
    const rows = html
      .split("<tr>")
      .slice(2)
      .map((row) => row.split("</tr>")[0]);
    expect(rows[0]).toMatch(/^<th>candidate<\/th><td>1\.010 ± 0\.020 <span class="flag">✗<\/span><\/td>/);
    expect(rows[0]!.match(/✗/g)).toHaveLength(1);
    expect(rows[1]).toContain('12.0 <span class="flag">✗</span>');
    expect(rows[1]!.match(/✗/g)).toHaveLength(1);
  });

  it("show the earlier gate's lower bound and ESS, and nothing for a warm-up", () => {
    const html = gateFigures(
      prodResult({ routing: summary, gate: { ...figures, passed: false, reason: "x" } }),
    ).replace(/\s+/g, " ");
    expect(html).toContain('SNIPS: candidate 0.6000, lower bound 0.5000 <span class="flag">✗</span>');
    expect(gateFigures(warmupResult([convergenceCell("a:1", "m-a", "m-a")], summary))).toBe("");
    const nothing = {
      passed: false,
      reason: "nothing to evaluate on",
      estimator: "snips",
      alpha: 0.025,
      method: null,
      margin: 0,
      difference: null,
      lowerBound: null,
      support: null,
    };
    expect(gateFigures(prodResult({ routing: summary, gate: nothing }))).toBe("");
  });
});
