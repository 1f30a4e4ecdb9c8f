// The fuzz targets by name.
import type { FuzzTarget, TargetName } from './target.js';
import { parserTarget } from './parser.js';
import { decodersTarget } from './decoders.js';
import { shaderTarget } from './shader.js';

export const TARGETS: Partial<Record<TargetName, FuzzTarget>> = {
  parser: parserTarget,
  decoders: decodersTarget,
  shader: shaderTarget,
};
