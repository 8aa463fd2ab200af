export { buildReport, writeReport, type Report } from './report.js';
export { chart, type Series } from './svg.js';
export { plansSection } from './plans-section.js';
