import { VigilError } from '@vigil/core';

/**
 * Error codes of the detector's model layer (forest, features, model files, training).
 *
 * - `VIGIL_DETECTOR_MODEL_INVALID`: a model file or in-memory model is malformed, corrupt,
 *   of another format version, or inconsistent (details name the field).
 * - `VIGIL_DETECTOR_TRAIN_INVALID`: training input or parameters are unusable (empty
 *   baseline, non-finite feature values, out-of-range parameters).
 */
export type DetectorModelErrorCode =
  | 'VIGIL_DETECTOR_MODEL_INVALID'
  | 'VIGIL_DETECTOR_TRAIN_INVALID';

/** The one error class of the detector's model layer. */
export class DetectorModelError extends VigilError {
  declare readonly code: DetectorModelErrorCode;

  constructor(
    code: DetectorModelErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
