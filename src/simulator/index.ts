/** The local Racing API simulator: server plus the pure generator for computing expectations without HTTP. */
export { type NeutralRace, type NeutralRunner, raceCountForDate, racesForDate } from './data.ts';
export { type Horse, horseByDigits } from './entities.ts';
export {
  coursesPage,
  horsePro,
  horseProMissing,
  type PageQuery,
  racecardRace,
  racecardsPage,
  racecardsPageJson,
  resultRace,
  resultsPage,
  resultsPageJson,
} from './pages.ts';
export { DEFAULT_PLAN, isPlan, PLANS, type Plan, resultsWindowStart } from './plans.ts';
export {
  expectedPopulation,
  type PopulationOptions,
  type PopulationStats,
  populationStats,
} from './population.ts';
export {
  type FaultRule,
  type PageEdit,
  RACECARD_WINDOW_START,
  type Simulator,
  type SimulatorAccount,
  type SimulatorOptions,
  type SimulatorStats,
  startSimulator,
} from './server.ts';
