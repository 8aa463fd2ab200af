export { LlmAnalyzer } from './llm-analyzer.js';
export { LlmProfiler } from './llm-profiler.js';
export { LlmWriter, writerSystemPrompt } from './llm-writer.js';
export { extractFlags, extractJson, extractKernel } from './code.js';
export { promptVars } from './prompt-vars.js';
