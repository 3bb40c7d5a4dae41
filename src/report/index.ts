/**
 * Presentation of cadence results: progress on a terminal, the text report for stdout, and the
 * self-contained HTML (and JSON) report files. Reads cadence results; never runs anything.
 */
export { terminalProgress, type TerminalProgressOptions } from "./terminal-progress.js";
export { formatCadenceReport, formatEstimates } from "./text-report.js";
export { renderHtmlReport, cellsChart, learningCurveChart, estimatesChart, escapeHtml } from "./html-report.js";
export { writeReportFiles, DEFAULT_REPORT_DIR, type ReportFiles } from "./report-files.js";
