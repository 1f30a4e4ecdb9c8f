// The fuzz targets by name.
import type { FuzzTarget, TargetName } from './target.js';
import { parserTarget } from './parser.js';
import { decodersTarget } from './decoders.js';
import { shaderTarget } from './shader.js';
import { enginesTarget } from './engines.js';
import { ioctlsTarget } from './ioctls.js';

export const TARGETS: Record<TargetName, FuzzTarget> = {
  parser: parserTarget,
  decoders: decodersTarget,
  engines: enginesTarget,
  ioctls: ioctlsTarget,
  shader: shaderTarget,
};
