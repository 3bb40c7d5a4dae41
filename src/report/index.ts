/**
 * Presentation of cadence results: progress on a terminal, the text report for stdout, the
 * self-contained HTML page of each run (and its JSON), and the history page listing the runs.
 * Reads cadence results; never runs anything.
 */
export { terminalProgress, type TerminalProgressOptions } from "./terminal-progress.js";
export { formatCadenceReport, formatEstimates } from "./text-report.js";
export {
  renderHtmlReport,
  cellsChart,
  learningCurveChart,
  estimatesChart,
  escapeHtml,
  INDEX_PAGE,
  type HtmlReportOptions,
} from "./html-report.js";
export { routingMapData, routingMap, type RoutingMapData, type RoutingMapCell } from "./routing-map.js";
export { trafficShiftData, trafficShiftChart, type TrafficShiftData, type TrafficShiftRow } from "./traffic-shift.js";
export { coverageFromRouting, coverageChart, type CoverageInput, type CoverageRow } from "./coverage-map.js";
export { whyNotPromoted } from "./gate-explanation.js";
export { ESTIMATOR_NOTES, diagnosticsOf } from "./estimator-notes.js";
export { OKABE_ITO, MODEL_COLORS, ROLE } from "./palette.js";
export {
  writeReportFiles,
  writeIndexPage,
  DEFAULT_REPORT_DIR,
  type ReportFiles,
  type WriteReportOptions,
} from "./report-files.js";
export { readHistory, historyEntryOf, type History, type HistoryEntry, type Headline } from "./history.js";
export { renderIndexPage, trendChart, trendPoints } from "./index-page.js";
