// Chooses a congestion controller by name.
import type {
  CongestionAlgorithm,
  CongestionController,
  CongestionControllerOptions,
} from './congestion-controller.js';
import { CubicController, type CubicOptions } from './cubic.js';
import { NewRenoController } from './new-reno.js';

export * from './congestion-controller.js';
export { CubicController, cubicK, cubicWindow, CUBIC_ALPHA, CUBIC_BETA, CUBIC_C } from './cubic.js';
export type { CubicOptions, CubicState } from './cubic.js';
export { NewRenoController, LOSS_REDUCTION_FACTOR } from './new-reno.js';

export const CONGESTION_ALGORITHMS: readonly CongestionAlgorithm[] = ['newreno', 'cubic'];

export function createCongestionController(
  algorithm: CongestionAlgorithm,
  options: CubicOptions & CongestionControllerOptions = {},
): CongestionController {
  switch (algorithm) {
    case 'newreno':
      return new NewRenoController(options);
    case 'cubic':
      return new CubicController(options);
    default: {
      const never: never = algorithm;
      throw new RangeError(`unknown congestion control algorithm ${String(never)}`);
    }
  }
}
