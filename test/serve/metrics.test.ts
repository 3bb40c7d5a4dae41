import { expect, it } from "vitest";
import { createRouterMetrics } from "../../src/serve/metrics.js";

it("turns the per-request tallies into Prometheus text when scraped: counters by label, a cumulative latency histogram", async () => {
  const metrics = createRouterMetrics();
  metrics.observeRequest("/v1/route", 200, 0.0004);
  metrics.observeRequest("/v1/route", 200, 0.003);
  metrics.observeRequest("/v1/route", 400, 2);
  metrics.observeRequest("/healthz", 200, 0.0001);
  const tally = metrics.decisionTally("7", ["m-a", "m-b"]);
  tally[1]! += 2;
  const text = await metrics.text();
  expect(text).toMatch(/^linucb_http_requests_total\{route="\/v1\/route",status="200"\} 2$/m);
  expect(text).toMatch(/^linucb_http_requests_total\{route="\/v1\/route",status="400"\} 1$/m);
  expect(text).toMatch(/^linucb_decisions_total\{model="m-b",policy_version="7"\} 2$/m);
  expect(text).not.toMatch(/model="m-a"/);
  const bucket = (le: string): string =>
    text.match(
      new RegExp(
        `^linucb_http_request_duration_seconds_bucket\\{le="${le.replace(/[+.]/g, "\\$&")}",route="/v1/route"\\} (\\S+)$`,
        "m",
      ),
    )![1]!;
  expect([bucket("0.0005"), bucket("0.002"), bucket("0.005"), bucket("1"), bucket("+Inf")]).toEqual([
    "1",
    "1",
    "2",
    "2",
    "3",
  ]);
  expect(text).toMatch(/^linucb_http_request_duration_seconds_count\{route="\/v1\/route"\} 3$/m);
  expect(text).toMatch(/^linucb_http_request_duration_seconds_sum\{route="\/v1\/route"\} 2\.0034$/m);
  expect(text).toContain("# TYPE linucb_http_request_duration_seconds histogram");
  // Scraping again reports the same totals (the counters are set from the tallies, not added to).
  expect(await metrics.text()).toMatch(/^linucb_http_requests_total\{route="\/v1\/route",status="200"\} 2$/m);
});
