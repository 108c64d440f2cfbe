import { TalformError } from "../diagnostics/index.js";
import { executeGoTemplate, GoTemplateError, type FieldResolver, type TemplateValue } from "../util/go-template.js";

const TEMPLATE_HINT =
  "talform supports Go template fields, variables, pipelines, if/else/range/with and the functions eq, ne, lt, le, gt, ge, " +
  "not, and, or, len, print, printf, contains, hasPrefix, hasSuffix, trimPrefix, trimSuffix, lower, upper, trim, " +
  "replace, default, quote, join, toString; simplify the template or use a plain value";

/** A talhelper template of a node (label, annotation, patch or manifest file); errors name `where`. */
export function executeTemplate(src: string, data: TemplateValue, field: FieldResolver, where: string): string {
  try {
    return executeGoTemplate(src, data, field);
  } catch (e) {
    if (e instanceof GoTemplateError)
      throw new TalformError(`${where}: template: ${e.message}`, { code: "template", hint: TEMPLATE_HINT });
    throw e;
  }
}
