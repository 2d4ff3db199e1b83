// Tokenizer and syntax-error formatting for expressions.
#include "expr/lexer.h"

#include <cctype>

namespace tandem {

namespace {

bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

bool Token::IsKeyword(std::string_view word) const {
  if (kind != Kind::kIdent || text.size() != word.size()) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != word[i]) {
      return false;
    }
  }
  return true;
}

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    size_t start = i;
    Token::Kind kind;
    if (IsSpace(c)) {
      while (i < text.size() && IsSpace(text[i])) {
        ++i;
      }
      kind = Token::Kind::kSpace;
    } else if (std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_') {
      while (i < text.size() && IsIdentChar(text[i])) {
        ++i;
      }
      kind = Token::Kind::kIdent;
    } else if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
        ++i;
      }
      kind = Token::Kind::kNumber;
    } else if (c == '#' || c == ':') {
      ++i;
      while (i < text.size() && IsIdentChar(text[i])) {
        ++i;
      }
      kind = c == '#' ? Token::Kind::kName : Token::Kind::kValueRef;
    } else if (c == '<' || c == '>') {
      ++i;
      if (i < text.size() && (text[i] == '=' || (c == '<' && text[i] == '>'))) {
        ++i;
      }
      kind = Token::Kind::kPunct;
    } else if (std::string_view("()[],.=+-").find(c) != std::string_view::npos) {
      ++i;
      kind = Token::Kind::kPunct;
    } else {
      // One whole UTF-8 character.
      ++i;
      while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) {
        ++i;
      }
      kind = Token::Kind::kInvalid;
    }
    tokens.push_back(Token{kind, text.substr(start, i - start)});
  }
  tokens.push_back(Token{Token::Kind::kEof, std::string_view()});
  return tokens;
}

std::string SyntaxErrorMessage(const std::vector<Token>& tokens, size_t index) {
  const Token& bad = tokens[index];
  std::string shown = bad.kind == Token::Kind::kEof ? "<EOF>" : std::string(bad.text);
  std::string near;
  if (index >= 1) {
    if (index >= 2 && tokens[index - 1].kind == Token::Kind::kSpace) {
      near += tokens[index - 2].text;
    }
    near += tokens[index - 1].text;
  }
  near += bad.text;
  if (index + 1 < tokens.size()) {
    near += tokens[index + 1].text;
    if (index + 2 < tokens.size() && tokens[index + 1].kind == Token::Kind::kSpace) {
      near += tokens[index + 2].text;
    }
  }
  return "Syntax error; token: \"" + shown + "\", near: \"" + near + "\"";
}

}  // namespace tandem
