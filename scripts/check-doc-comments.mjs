#!/usr/bin/env node
/**
 * Lists the public API that has no doc comment, as users of the package see it: the
 * declarations in dist/ (run `npm run build` first) reachable from dist/index.d.ts.
 *
 * Checked: every exported class, function, interface, type alias, const and enum; every public
 * member of an exported class, interface or object type alias (methods, getters and setters,
 * properties, constructors, static members), including members a class or interface inherits
 * from an unexported base declared in dist/. Skipped: private and protected members, names
 * that start with `_` or `#`, declarations tagged `@internal`, and the constructors of
 * ShmkitError and its subclasses (the class's own comment says what the error means; users
 * do not construct them).
 *
 * Documented means a non-empty `/** ... *\/` attached to the declaration, or, for a member
 * that overrides or implements one of a base class or interface, on that base member. Every
 * overload signature needs its own (an editor shows the comment of the signature it picked);
 * a getter and setter pair needs one between them.
 *
 * Prints `file:line Owner.member` for each missing comment, at the matching line of src/ when
 * it can be found there (that is where the comment goes), else in dist/. Exits 1 when any is
 * missing, 0 when none is, 2 when dist/ is not built.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const SRC = path.join(ROOT, 'src');
const ENTRY = path.join(DIST, 'index.d.ts');
const ERROR_BASE_CLASS = 'ShmkitError';

if (!fs.existsSync(ENTRY)) {
  console.error(`check-doc-comments: ${path.relative(ROOT, ENTRY)} is missing; run \`npm run build\` first`);
  process.exit(2);
}

// The project's compiler options (lib, types, module resolution), on the built .d.ts files.
const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), { noEmit: true }, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
    console.error(`check-doc-comments: tsconfig.json: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    process.exit(2);
  },
});
const program = ts.createProgram([ENTRY], { ...config.options, noEmit: true, skipLibCheck: true });
const checker = program.getTypeChecker();

const entryFile = program.getSourceFile(ENTRY);
const entrySymbol = entryFile && checker.getSymbolAtLocation(entryFile);
if (!entrySymbol) {
  console.error('check-doc-comments: could not read the exports of dist/index.d.ts');
  process.exit(2);
}

/** Declarations in dist/ only: lib.d.ts and @types/node are not ours to document. */
function isOurs(node) {
  return path.resolve(node.getSourceFile().fileName).startsWith(DIST + path.sep);
}

function jsDocText(comment) {
  if (comment === undefined) return '';
  if (typeof comment === 'string') return comment;
  return comment.map((part) => part.text ?? '').join('');
}

/** The node a doc comment is attached to: a `const` is documented on its statement. */
function docHost(node) {
  if (ts.isVariableDeclaration(node) && ts.isVariableDeclarationList(node.parent)) return node.parent.parent;
  return node;
}

/** A non-empty doc comment: some description, or a tag that says something. */
function hasOwnDoc(node) {
  const docs = ts.getJSDocCommentsAndTags(docHost(node)).filter((doc) => ts.isJSDoc(doc) && !isFileOverview(doc, node));
  return docs.some(
    (doc) => jsDocText(doc.comment).trim() !== '' || (doc.tags ?? []).some((tag) => jsDocText(tag.comment).trim() !== '' || tag.tagName.text === 'inheritDoc'),
  );
}

/**
 * The comment at the top of a src file describes the file. When tsc drops the imports that
 * followed it, it lands on the first declaration of the .d.ts: that is not the declaration's
 * own comment unless the src file has it on the same declaration.
 */
function isFileOverview(doc, node) {
  const distFile = doc.getSourceFile();
  if (distFile.text.slice(0, doc.getStart(distFile)).trim() !== '') return false;
  const srcFile = parseSrc(srcPathOf(distFile));
  const first = srcFile?.statements[0];
  if (!first) return false;
  const firstName = ts.isVariableStatement(first) ? first.declarationList.declarations[0]?.name.getText(srcFile) : first.name?.getText(srcFile);
  const ownerOf = (decl) => (ts.isVariableDeclaration(decl) ? decl.name.getText() : decl.name?.getText());
  return srcFile.text.trimStart().startsWith(doc.getText(distFile)) && firstName !== ownerOf(node);
}

function srcPathOf(distFile) {
  return path.join(SRC, path.relative(DIST, path.resolve(distFile.fileName)).replace(/\.d\.ts$/, '.ts'));
}

const parsedSrc = new Map();

function parseSrc(srcPath) {
  if (!parsedSrc.has(srcPath)) {
    parsedSrc.set(srcPath, fs.existsSync(srcPath) ? ts.createSourceFile(srcPath, fs.readFileSync(srcPath, 'utf8'), ts.ScriptTarget.Latest, true) : undefined);
  }
  return parsedSrc.get(srcPath);
}

function isInternal(decl) {
  return ts.getJSDocTags(docHost(decl)).some((tag) => tag.tagName.text === 'internal');
}

function isSkippedMember(decl) {
  if (isInternal(decl)) return true;
  const flags = ts.getCombinedModifierFlags(decl);
  if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return true;
  if (decl.name && ts.isPrivateIdentifier(decl.name)) return true;
  const name = memberName(decl);
  return name.startsWith('_') || name.startsWith('#');
}

function memberName(decl) {
  if (ts.isConstructorDeclaration(decl) || ts.isConstructSignatureDeclaration(decl)) return 'constructor';
  if (!decl.name) return '(call)';
  return decl.name.getText();
}

function ownerName(decl) {
  const owner = decl.parent;
  if ((ts.isClassDeclaration(owner) || ts.isInterfaceDeclaration(owner)) && owner.name) return owner.name.text;
  if (ts.isTypeLiteralNode(owner)) {
    // The alias that names the literal, however deep inside unions and intersections it sits.
    for (let up = owner.parent; up; up = up.parent) {
      if (ts.isTypeAliasDeclaration(up)) return up.name.text;
    }
  }
  if (ts.isEnumDeclaration(owner)) return owner.name.text;
  return '?';
}

/** Does a base class or implemented interface document the member this one overrides? */
function baseDocuments(classOrInterfaceSymbol, memberSymbol, isStatic) {
  const seen = new Set();
  const pending = directBases(classOrInterfaceSymbol, isStatic);
  while (pending.length > 0) {
    const baseType = pending.pop();
    if (seen.has(baseType)) continue;
    seen.add(baseType);
    const inherited = checker.getPropertyOfType(baseType, memberSymbol.escapedName);
    if (inherited?.declarations?.some((decl) => hasOwnDoc(decl))) return true;
    const baseSymbol = baseType.getSymbol?.();
    if (baseSymbol) pending.push(...directBases(baseSymbol, isStatic));
  }
  return false;
}

function directBases(symbol, isStatic) {
  const bases = [];
  for (const decl of symbol.declarations ?? []) {
    if (!ts.isClassDeclaration(decl) && !ts.isInterfaceDeclaration(decl)) continue;
    for (const clause of decl.heritageClauses ?? []) {
      for (const expression of clause.types) {
        const type = checker.getTypeAtLocation(expression);
        if (!isStatic) bases.push(type);
        else if (clause.token === ts.SyntaxKind.ExtendsKeyword && ts.isClassDeclaration(decl)) {
          bases.push(checker.getTypeOfSymbolAtLocation(type.getSymbol() ?? symbol, expression.expression));
        }
      }
    }
  }
  return bases;
}

function extendsErrorBase(classSymbol) {
  const seen = new Set();
  for (let type = checker.getDeclaredTypeOfSymbol(classSymbol); type && !seen.has(type); ) {
    seen.add(type);
    if (type.getSymbol()?.getName() === ERROR_BASE_CLASS) return true;
    type = checker.getBaseTypes(type)[0];
  }
  return false;
}

const missing = [];
const checked = new Set();

/** Checks one symbol's declarations in dist/: each overload, or a getter/setter pair together. */
function check(symbol, label, owner, memberSymbol, isStatic) {
  const decls = (symbol.declarations ?? []).filter((decl) => isOurs(decl) && !checked.has(decl));
  if (decls.length === 0) return;
  decls.forEach((decl) => checked.add(decl));
  const inheritedDoc = () => owner !== undefined && baseDocuments(owner, memberSymbol, isStatic);
  const accessors = decls.filter((decl) => ts.isGetAccessorDeclaration(decl) || ts.isSetAccessorDeclaration(decl));
  if (accessors.length > 0 && !accessors.some(hasOwnDoc) && !inheritedDoc()) report(accessors[0], label(accessors[0]));
  for (const decl of decls) {
    if (accessors.includes(decl) || hasOwnDoc(decl)) continue;
    if (inheritedDoc()) continue;
    report(decl, label(decl));
  }
}

function checkMembers(ownerSymbol, type, isStatic) {
  for (const prop of checker.getPropertiesOfType(type)) {
    if (isStatic && prop.getName() === 'prototype') continue;
    const decls = (prop.declarations ?? []).filter(isOurs);
    if (decls.length === 0 || decls.every(isSkippedMember)) continue;
    check(prop, (decl) => `${ownerName(decl)}.${memberName(decl)}`, ownerSymbol, prop, isStatic);
  }
}

function checkExport(exported) {
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const name = exported.getName();
  if ((symbol.declarations ?? []).some(isInternal)) return;
  check(symbol, () => name);

  if (symbol.flags & ts.SymbolFlags.Class) {
    const skipConstructors = extendsErrorBase(symbol);
    for (const decl of symbol.declarations ?? []) {
      if (!ts.isClassDeclaration(decl) || !isOurs(decl) || skipConstructors) continue;
      for (const member of decl.members) {
        if (ts.isConstructorDeclaration(member) && !isSkippedMember(member) && !checked.has(member)) {
          checked.add(member);
          if (!hasOwnDoc(member)) report(member, `${name}.constructor`);
        }
      }
    }
    checkMembers(symbol, checker.getDeclaredTypeOfSymbol(symbol), false);
    checkMembers(symbol, checker.getTypeOfSymbol(symbol), true);
  } else if (symbol.flags & ts.SymbolFlags.Interface) {
    checkMembers(symbol, checker.getDeclaredTypeOfSymbol(symbol), false);
  } else if (symbol.flags & ts.SymbolFlags.TypeAlias) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    for (const part of type.isUnion() ? type.types : [type]) {
      if (part.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) checkMembers(undefined, part, false);
    }
  } else if (symbol.flags & ts.SymbolFlags.Enum) {
    for (const member of checker.getExportsOfModule(symbol)) check(member, () => `${name}.${member.getName()}`);
  }
}

// ---- where to point: the matching declaration in src/, found by owner, name and overload index.

const srcIndex = new Map();

function srcLocations(srcPath) {
  if (srcIndex.has(srcPath)) return srcIndex.get(srcPath);
  const locations = new Map();
  srcIndex.set(srcPath, locations);
  const file = parseSrc(srcPath);
  if (!file) return locations;
  const add = (key, node) => {
    const list = locations.get(key) ?? [];
    list.push(file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1);
    locations.set(key, list);
  };
  const visit = (node) => {
    if (ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isEnumDeclaration(node)) {
      if (node.name) {
        add(node.name.text, node);
        for (const member of node.members) {
          // Implementation signatures of overloaded methods are not in the .d.ts.
          if ((ts.isMethodDeclaration(member) || ts.isConstructorDeclaration(member)) && member.body && hasOverloads(node, member)) continue;
          add(`${node.name.text}.${memberName(member)}`, member);
          if (ts.isConstructorDeclaration(member)) {
            for (const param of member.parameters) {
              if (ts.getModifiers(param)?.length) add(`${node.name.text}.${param.name.getText(file)}`, param);
            }
          }
        }
      }
    } else if (ts.isTypeAliasDeclaration(node)) {
      add(node.name.text, node);
      const literals = (type) => {
        if (ts.isTypeLiteralNode(type)) for (const member of type.members) add(`${node.name.text}.${memberName(member)}`, member);
        ts.forEachChild(type, (child) => ts.isTypeNode(child) && literals(child));
      };
      literals(node.type);
    } else if (ts.isFunctionDeclaration(node) && node.name) {
      if (!(node.body && hasOverloads(node.parent, node))) add(node.name.text, node);
    } else if (ts.isVariableStatement(node)) {
      for (const decl of node.declarationList.declarations) add(decl.name.getText(file), node);
    }
    if (ts.isSourceFile(node) || ts.isModuleBlock(node)) ts.forEachChild(node, visit);
  };
  visit(file);
  return locations;
}

function hasOverloads(container, implementation) {
  const siblings = ts.isSourceFile(container) ? container.statements : container.members;
  const name = memberName(implementation);
  return siblings.some((other) => other !== implementation && other.kind === implementation.kind && memberName(other) === name);
}

function report(decl, label) {
  const distFile = decl.getSourceFile();
  const distLine = distFile.getLineAndCharacterOfPosition(decl.getStart(distFile)).line + 1;
  const where = `${path.relative(ROOT, distFile.fileName)}:${distLine}`;
  missing.push({ decl, label, where });
}

/** Rewrites `dist/x.d.ts:N` to `src/x.ts:M` when src/ has the same owner, name and overload. */
function locate(entry) {
  const srcPath = srcPathOf(entry.decl.getSourceFile());
  const index = Math.max(0, sameNameDeclarations(entry.decl).indexOf(entry.decl));
  const line = srcLocations(srcPath).get(entry.label)?.[index];
  return line === undefined ? entry.where : `${path.relative(ROOT, srcPath)}:${line}`;
}

function sameNameDeclarations(decl) {
  const container = decl.parent;
  const siblings = ts.isSourceFile(container) ? container.statements : (container.members ?? []);
  if (ts.isVariableDeclaration(decl)) return [decl];
  return siblings.filter((other) => other.kind === decl.kind && memberName(other) === memberName(decl));
}

for (const exported of checker.getExportsOfModule(entrySymbol)) checkExport(exported);

if (missing.length === 0) {
  console.log('check-doc-comments: every public declaration has a doc comment');
  process.exit(0);
}
const lines = missing.map((entry) => `${locate(entry)} ${entry.label}`);
lines.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
console.log(lines.join('\n'));
console.error(`check-doc-comments: ${missing.length} public declaration(s) without a doc comment`);
process.exit(1);
