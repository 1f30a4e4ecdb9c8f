// Public API of the instruction decoder and disassembler.
export { decodeInstruction, instructionInfo, DecodeError } from './decode.js';
export { disassemble, formatInstruction, operandName, type DisassembledLine } from './disasm.js';
export { opcodeTables, type OpcodeInfo, type OperandSlot, type OpcodeTables, type SlotKind } from './tables/index.js';
export { FORMATS, type FormatSpec, type FieldSpec } from './tables/formats.js';
export {
  OPERAND_SPACE, OPERAND_NAMES, VGPR_BASE, AGPR_BASE, LITERAL, inlineConstant32, inlineConstant64, inlineIntValue,
  isInlineConstant, isInlineFloat, isInlineInt, type InlineType, type OperandSpace,
} from './operands.js';
