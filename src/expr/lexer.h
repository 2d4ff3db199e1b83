// Lexer for DynamoDB's expression language, and its syntax-error message.
//
// Whitespace runs are kept as tokens: DynamoDB's "near" text in a syntax error
// is built from the tokens around the offending one, whitespace included.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tandem {

struct Token {
  enum class Kind {
    kIdent,     // a letter or '_' then letters, digits, '_'
    kName,      // "#..." attribute-name placeholder
    kValueRef,  // ":..." attribute-value placeholder
    kNumber,    // digits (list indexes)
    kPunct,     // ( ) [ ] , . = <> < <= > >= + -
    kSpace,     // a run of whitespace
    kInvalid,   // any other character
    kEof,       // end of input (always the last token)
  };
  Kind kind;
  std::string_view text;

  bool Is(std::string_view punct) const { return kind == Kind::kPunct && text == punct; }
  // Case-insensitive keyword test for identifiers (AND, SET, ...).
  bool IsKeyword(std::string_view word) const;
};

// Splits `text` into tokens; the views point into `text`.
std::vector<Token> Tokenize(std::string_view text);

// DynamoDB's message for an unexpected token at tokens[index], without the
// "Invalid XExpression: " prefix:
//   Syntax error; token: "<tok>", near: "<prev2?><prev><tok><next><next2?>"
// where prev2 (next2) is included only when prev (next) is whitespace.
std::string SyntaxErrorMessage(const std::vector<Token>& tokens, size_t index);

}  // namespace tandem
