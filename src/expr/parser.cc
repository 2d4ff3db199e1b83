// Recursive-descent parsers for condition, update and projection expressions.
//
// Parsing never throws: each step returns false on failure and the parser
// remembers the furthest token it failed at, which becomes the reported
// "token" of the syntax error (alternatives are tried by backtracking, e.g.
// "(a) = :v" versus "(a = :v)").
#include "expr/parser.h"

#include <set>

#include "expr/lexer.h"

namespace tandem {

namespace {

enum class Mode { kCondition, kUpdate, kProjection };

class Parser {
 public:
  Parser(std::string_view text, Mode mode) : tokens_(Tokenize(text)), mode_(mode) { SkipSpace(); }

  bool AtEnd() const { return Peek().kind == Token::Kind::kEof; }
  std::string Error() const { return SyntaxErrorMessage(tokens_, error_pos_); }
  bool Fail() {
    if (!has_error_ || pos_ > error_pos_) {
      error_pos_ = pos_;
      has_error_ = true;
    }
    return false;
  }

  bool ParseOr(RawCondition* out);
  bool ParseUpdate(RawUpdate* out);
  bool ParseProjection(RawProjection* out);

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  void Advance() {
    ++pos_;
    SkipSpace();
  }
  void SkipSpace() {
    while (tokens_[pos_].kind == Token::Kind::kSpace) {
      ++pos_;
    }
  }
  bool Expect(std::string_view punct) {
    if (Peek().Is(punct)) {
      Advance();
      return true;
    }
    return Fail();
  }
  bool IsReserved(const Token& t) const;
  bool NextIsOpenParen() const;
  bool AtComparisonTail() const;

  bool ParsePath(RawPath* out);
  bool ParsePathElementName(RawPath* out);
  bool ParseOperand(RawOperand* out);
  bool ParseCall(RawOperand* out);
  bool ParseAnd(RawCondition* out);
  bool ParseNot(RawCondition* out);
  bool ParsePrimary(RawCondition* out);
  bool ParseComparison(RawCondition* out);
  bool ParseSetValue(RawOperand* out);
  bool ParseArith(RawOperand* out);
  bool ParseUpdateAction(RawUpdateAction::Kind kind, RawUpdateAction* out);

  std::vector<Token> tokens_;
  Mode mode_;
  size_t pos_ = 0;
  size_t error_pos_ = 0;
  bool has_error_ = false;
};

bool Parser::IsReserved(const Token& t) const {
  if (mode_ == Mode::kCondition) {
    return t.IsKeyword("AND") || t.IsKeyword("OR") || t.IsKeyword("NOT") ||
           t.IsKeyword("BETWEEN") || t.IsKeyword("IN");
  }
  if (mode_ == Mode::kUpdate) {
    return t.IsKeyword("SET") || t.IsKeyword("REMOVE") || t.IsKeyword("ADD") ||
           t.IsKeyword("DELETE");
  }
  return false;
}

bool Parser::NextIsOpenParen() const {
  size_t j = pos_ + 1;
  while (tokens_[j].kind == Token::Kind::kSpace) {
    ++j;
  }
  return tokens_[j].Is("(");
}

bool Parser::AtComparisonTail() const {
  const Token& t = Peek();
  return t.Is("=") || t.Is("<>") || t.Is("<") || t.Is("<=") || t.Is(">") || t.Is(">=") ||
         t.IsKeyword("BETWEEN") || t.IsKeyword("IN");
}

bool Parser::ParsePathElementName(RawPath* out) {
  const Token& t = Peek();
  if ((t.kind == Token::Kind::kIdent && !IsReserved(t)) || t.kind == Token::Kind::kName) {
    out->push_back(RawPathElement{std::string(t.text), -1});
    Advance();
    return true;
  }
  return Fail();
}

bool Parser::ParsePath(RawPath* out) {
  if (!ParsePathElementName(out)) {
    return false;
  }
  while (true) {
    if (Peek().Is(".")) {
      Advance();
      if (!ParsePathElementName(out)) {
        return false;
      }
    } else if (Peek().Is("[")) {
      Advance();
      if (Peek().kind != Token::Kind::kNumber) {
        return Fail();
      }
      std::string_view digits = Peek().text;
      int64_t index = 0;
      for (char c : digits) {
        index = index * 10 + (c - '0');
        if (index > (int64_t{1} << 40)) {
          index = int64_t{1} << 40;  // far past any list; keeps arithmetic safe
        }
      }
      Advance();
      if (!Expect("]")) {
        return false;
      }
      out->push_back(RawPathElement{std::string(), index});
    } else {
      return true;
    }
  }
}

bool Parser::ParseCall(RawOperand* out) {
  out->kind = RawOperand::Kind::kCall;
  out->ref = std::string(Peek().text);
  Advance();
  if (!Expect("(")) {
    return false;
  }
  while (true) {
    RawOperand arg;
    if (!ParseOperand(&arg)) {
      return false;
    }
    out->args.push_back(std::move(arg));
    if (!Peek().Is(",")) {
      break;
    }
    Advance();
  }
  return Expect(")");
}

bool Parser::ParseOperand(RawOperand* out) {
  const Token& t = Peek();
  if (t.Is("(")) {
    size_t save = pos_;
    Advance();
    RawOperand inner;
    if (ParseOperand(&inner) && Expect(")")) {
      inner.parens++;
      *out = std::move(inner);
      return true;
    }
    pos_ = save;
    return false;
  }
  if (t.kind == Token::Kind::kIdent && !IsReserved(t) && mode_ != Mode::kProjection &&
      NextIsOpenParen()) {
    return ParseCall(out);
  }
  if (t.kind == Token::Kind::kValueRef && mode_ != Mode::kProjection) {
    out->kind = RawOperand::Kind::kValue;
    out->ref = std::string(t.text);
    Advance();
    return true;
  }
  out->kind = RawOperand::Kind::kPath;
  return ParsePath(&out->path);
}

bool Parser::ParseOr(RawCondition* out) {
  RawCondition left;
  if (!ParseAnd(&left)) {
    return false;
  }
  while (Peek().IsKeyword("OR")) {
    Advance();
    RawCondition right;
    if (!ParseAnd(&right)) {
      return false;
    }
    RawCondition node;
    node.kind = RawCondition::Kind::kOr;
    node.children.push_back(std::move(left));
    node.children.push_back(std::move(right));
    left = std::move(node);
  }
  *out = std::move(left);
  return true;
}

bool Parser::ParseAnd(RawCondition* out) {
  RawCondition left;
  if (!ParseNot(&left)) {
    return false;
  }
  while (Peek().IsKeyword("AND")) {
    Advance();
    RawCondition right;
    if (!ParseNot(&right)) {
      return false;
    }
    RawCondition node;
    node.kind = RawCondition::Kind::kAnd;
    node.children.push_back(std::move(left));
    node.children.push_back(std::move(right));
    left = std::move(node);
  }
  *out = std::move(left);
  return true;
}

bool Parser::ParseNot(RawCondition* out) {
  if (Peek().IsKeyword("NOT")) {
    Advance();
    RawCondition inner;
    if (!ParseNot(&inner)) {
      return false;
    }
    out->kind = RawCondition::Kind::kNot;
    out->children.push_back(std::move(inner));
    return true;
  }
  return ParsePrimary(out);
}

bool Parser::ParsePrimary(RawCondition* out) {
  if (Peek().Is("(")) {
    size_t save = pos_;
    Advance();
    RawCondition inner;
    if (ParseOr(&inner) && Expect(")") && !AtComparisonTail()) {
      inner.parens++;
      *out = std::move(inner);
      return true;
    }
    pos_ = save;  // maybe a parenthesized operand: "(a) = :v"
  }
  return ParseComparison(out);
}

bool Parser::ParseComparison(RawCondition* out) {
  RawOperand lhs;
  if (!ParseOperand(&lhs)) {
    return false;
  }
  const Token& t = Peek();
  if (t.Is("=") || t.Is("<>") || t.Is("<") || t.Is("<=") || t.Is(">") || t.Is(">=")) {
    out->kind = RawCondition::Kind::kCompare;
    out->op = std::string(t.text);
    Advance();
    RawOperand rhs;
    if (!ParseOperand(&rhs)) {
      return false;
    }
    out->operands.push_back(std::move(lhs));
    out->operands.push_back(std::move(rhs));
    return true;
  }
  if (t.IsKeyword("BETWEEN")) {
    Advance();
    RawOperand low;
    RawOperand high;
    if (!ParseOperand(&low)) {
      return false;
    }
    if (!Peek().IsKeyword("AND")) {
      return Fail();
    }
    Advance();
    if (!ParseOperand(&high)) {
      return false;
    }
    out->kind = RawCondition::Kind::kBetween;
    out->operands.push_back(std::move(lhs));
    out->operands.push_back(std::move(low));
    out->operands.push_back(std::move(high));
    return true;
  }
  if (t.IsKeyword("IN")) {
    Advance();
    if (!Expect("(")) {
      return false;
    }
    out->kind = RawCondition::Kind::kIn;
    out->operands.push_back(std::move(lhs));
    while (true) {
      RawOperand item;
      if (!ParseOperand(&item)) {
        return false;
      }
      out->operands.push_back(std::move(item));
      if (!Peek().Is(",")) {
        break;
      }
      Advance();
    }
    return Expect(")");
  }
  if (lhs.kind == RawOperand::Kind::kCall && lhs.parens == 0) {
    out->kind = RawCondition::Kind::kCall;
    out->operands.push_back(std::move(lhs));
    return true;
  }
  return Fail();
}

bool Parser::ParseArith(RawOperand* out) {
  RawOperand first;
  if (!ParseOperand(&first)) {
    return false;
  }
  if (Peek().Is("+") || Peek().Is("-")) {
    std::string op(Peek().text);
    Advance();
    RawOperand second;
    if (!ParseOperand(&second)) {
      return false;
    }
    out->kind = RawOperand::Kind::kArith;
    out->ref = op;
    out->args.push_back(std::move(first));
    out->args.push_back(std::move(second));
    return true;
  }
  *out = std::move(first);
  return true;
}

bool Parser::ParseSetValue(RawOperand* out) {
  size_t save = pos_;
  if (ParseArith(out)) {
    return true;
  }
  pos_ = save;
  if (!Peek().Is("(")) {
    return Fail();
  }
  Advance();
  RawOperand inner;
  if (!ParseArith(&inner) || !Expect(")")) {
    return false;
  }
  inner.parens++;
  *out = std::move(inner);
  return true;
}

bool Parser::ParseUpdateAction(RawUpdateAction::Kind kind, RawUpdateAction* out) {
  out->kind = kind;
  if (!ParsePath(&out->path)) {
    return false;
  }
  switch (kind) {
    case RawUpdateAction::Kind::kSet:
      return Expect("=") && ParseSetValue(&out->value);
    case RawUpdateAction::Kind::kRemove:
      return true;
    case RawUpdateAction::Kind::kAdd:
    case RawUpdateAction::Kind::kDelete:
      if (Peek().kind != Token::Kind::kValueRef) {
        return Fail();
      }
      out->value.kind = RawOperand::Kind::kValue;
      out->value.ref = std::string(Peek().text);
      Advance();
      return true;
  }
  return Fail();
}

bool Parser::ParseUpdate(RawUpdate* out) {
  std::set<std::string> seen;
  if (AtEnd()) {
    return Fail();
  }
  while (!AtEnd()) {
    const Token& t = Peek();
    RawUpdateAction::Kind kind;
    std::string keyword;
    if (t.IsKeyword("SET")) {
      kind = RawUpdateAction::Kind::kSet;
      keyword = "SET";
    } else if (t.IsKeyword("REMOVE")) {
      kind = RawUpdateAction::Kind::kRemove;
      keyword = "REMOVE";
    } else if (t.IsKeyword("ADD")) {
      kind = RawUpdateAction::Kind::kAdd;
      keyword = "ADD";
    } else if (t.IsKeyword("DELETE")) {
      kind = RawUpdateAction::Kind::kDelete;
      keyword = "DELETE";
    } else {
      return Fail();
    }
    if (!seen.insert(keyword).second && out->repeated_section.empty()) {
      out->repeated_section = keyword;
    }
    Advance();
    while (true) {
      RawUpdateAction action;
      if (!ParseUpdateAction(kind, &action)) {
        return false;
      }
      out->actions.push_back(std::move(action));
      if (!Peek().Is(",")) {
        break;
      }
      Advance();
    }
  }
  return true;
}

bool Parser::ParseProjection(RawProjection* out) {
  while (true) {
    RawPath path;
    if (!ParsePath(&path)) {
      return false;
    }
    out->paths.push_back(std::move(path));
    if (!Peek().Is(",")) {
      break;
    }
    Advance();
  }
  return AtEnd() || Fail();
}

// Checks shared by every expression kind before parsing.
Status CheckSize(std::string_view text, std::string_view label) {
  if (text.empty()) {
    return Status::InvalidArgument("Invalid " + std::string(label) +
                                   ": The expression can not be empty;");
  }
  if (text.size() > kMaxExpressionBytes) {
    return Status::InvalidArgument(
        "Invalid " + std::string(label) +
        ": Expression size has exceeded the maximum allowed size; expression size: " +
        std::to_string(text.size()));
  }
  return Status::OK();
}

Status SyntaxError(const Parser& parser, std::string_view label) {
  return Status::InvalidArgument("Invalid " + std::string(label) + ": " + parser.Error());
}

}  // namespace

StatusOr<RawCondition> ParseRawCondition(std::string_view text, std::string_view label) {
  TANDEM_RETURN_IF_ERROR(CheckSize(text, label));
  Parser parser(text, Mode::kCondition);
  RawCondition condition;
  if (!parser.ParseOr(&condition) || (!parser.AtEnd() && !parser.Fail())) {
    return SyntaxError(parser, label);
  }
  return condition;
}

StatusOr<RawUpdate> ParseRawUpdate(std::string_view text) {
  TANDEM_RETURN_IF_ERROR(CheckSize(text, "UpdateExpression"));
  Parser parser(text, Mode::kUpdate);
  RawUpdate update;
  if (!parser.ParseUpdate(&update)) {
    return SyntaxError(parser, "UpdateExpression");
  }
  return update;
}

StatusOr<RawProjection> ParseRawProjection(std::string_view text) {
  TANDEM_RETURN_IF_ERROR(CheckSize(text, "ProjectionExpression"));
  Parser parser(text, Mode::kProjection);
  RawProjection projection;
  if (!parser.ParseProjection(&projection)) {
    return SyntaxError(parser, "ProjectionExpression");
  }
  return projection;
}

}  // namespace tandem
