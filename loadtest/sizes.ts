// How big each scenario of the suite is: the full run, and the quick one (`npm run loadtest:smoke`).

export interface SuiteSizes {
  aConnections: number
  aAmount: number
  warmIds: number
  probeRequests: number
  probeConnections: number
  batchesSequential: number
  batchesConcurrent: number
  zipfProducts: number
  zipfRequests: number
  fillProducts: number
  /** req/s of the equal-load runs (b-rate, e-rate): well under either server's capacity here */
  fixedRate: number
}

export const FULL: SuiteSizes = {
  aConnections: 1000,
  aAmount: 10_000,
  warmIds: 1000,
  probeRequests: 300,
  probeConnections: 10,
  batchesSequential: 5,
  batchesConcurrent: 4,
  zipfProducts: 10_000,
  zipfRequests: 200_000,
  fillProducts: 100_000,
  fixedRate: 5_000,
}

export const QUICK: SuiteSizes = {
  aConnections: 100,
  aAmount: 1000,
  warmIds: 100,
  probeRequests: 30,
  probeConnections: 5,
  batchesSequential: 2,
  batchesConcurrent: 2,
  zipfProducts: 10_000,
  zipfRequests: 5_000,
  fillProducts: 2_000,
  fixedRate: 1_000,
}

/** connections of the timed cached runs, (b) and (e) */
export const B_CONNECTIONS = 100
/** connections of the runs that barely queue */
export const FEW_CONNECTIONS = 10
/** products per POST of the batch endpoint */
export const BATCH = 50
