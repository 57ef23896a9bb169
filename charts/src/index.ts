export { colorOf, loadChartLibrary, PALETTE } from './render.js';
export {
  CHART_NAMES,
  CHART_WIDTH,
  type ChartName,
  chartFor,
  type CustomerPoint,
  MAP_HEIGHT,
  REPORT_WIDTH,
  segmentMapChart,
  segmentSizesChart,
  sizesHeight,
  snakeChart,
  snakeHeight,
} from './segments.js';
export { customerScatterChart, type ScatterPoint, sweepChart } from './training.js';
export {
  SHARE_CUSTOMERS_COLOUR,
  SHARE_REVENUE_COLOUR,
  type ShareRow,
  segmentSharesChart,
  sharesAlt,
  sharesHeight,
} from './runs.js';
export { type Flow, type FlowChartOptions, flowChart, flowsAlt, flowsHeight, FLOWS_WIDTH } from './flows.js';
